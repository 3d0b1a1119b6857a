// `gen-rtl run`: LLaMA decode on the generated chip, checked against the golden LLaMA.
//
//   1. weights = randomLlamaWeights(spec, seed); prompt = P tokens from prng(seed).fork("prompt")
//      (prompt.ts: P defaults to workload.prompt_len, capped);
//   2. golden = decodeTokens(weights, prompt, N): P + N - 1 steps (prefill is repeated decode; the
//      last generated token is not fed back);
//   3. compileDecode → the load program, and per step i the step program for position i and the
//      golden model's input token of step i (teacher forcing, programs.ts), every layer's output
//      read back; with --prefill the P prompt positions instead run as tiles of prefill_batch
//      tokens (GEMMs, prefill.ts), every position's layer outputs and logits read back;
//   4. an engine runs the load program and every step program in order on one chip: "rtl" in ONE
//      Verilator run of the chip (engine-rtl.ts), "model" on the instruction-level ChipModel
//      (engine-model.ts: no cycles);
//   5. per step: every layer output and the logits against the golden trace, the chip's token
//      (argmax of the logits it returned) against the golden model's next token (compare.ts);
//      cycles measured / instruction model / analytical model and their breakdown (cycles.ts).
// The chip's own token of a step is reported, never fed back: a step whose token differs is a
// mismatch, and the steps after it still decode the golden model's tokens, so each is compared
// with the golden trace on its own.
//
// Layout of sim/decode/: prompt.ts (prompt and size checks), programs.ts (the programs, a fault for
// tests), engine.ts (engine result, splitting one run per program and read), engine-model.ts,
// engine-rtl.ts, compare.ts, cycles.ts, prefill.ts (the prompt's tiles: comparison and cycles), report.ts (text and JSON), progress.ts (the stderr line),
// run.ts (this: the whole run).
import { compileDecode } from "../../generator/compiler/index.js";
import { programCycles } from "../../generator/model/cycles-chip.js";
import type { LoadedSpec } from "../../generator/spec/load.js";
import type { AttentionMapping } from "../../generator/spec/schema.js";
import { randomLlamaWeights } from "../golden/llama-weights.js";
import { decodeTokens } from "../golden/llama.js";
import { compareStep, type Mismatch } from "./compare.js";
import { analyticalCycles, bankWaitsToGemv, stepCycles, type StepCycles } from "./cycles.js";
import { perProgram, type Engine, type EngineRun, type SimInfo } from "./engine.js";
import { runOnModel } from "./engine-model.js";
import { runOnRtl } from "./engine-rtl.js";
import { prefillReport, type PositionReport, type PrefillReport } from "./prefill.js";
import { buildPrograms, corruptLoadWord, inOrder } from "./programs.js";
import { checkRunSize, choosePromptLength, drawPrompt } from "./prompt.js";

export interface RunOptions {
  tokens: number;
  seed: number;
  /** Default: workload.prompt_len, capped (prompt.ts). */
  promptLen?: number;
  engine: Engine;
  /** Testing the checker: flip every bit of this s_data word of the load program. */
  corruptLoadWord?: number;
  /** The prompt in tiles of workload.prefill_batch tokens (GEMMs) instead of one decode step per token. */
  prefill?: boolean;
}

/** Progress: a phase ("weights/golden", "compile", "Verilator build", "simulate", "compare") and a detail. */
export type Progress = (phase: string, detail?: string) => void;

/** A decode step: its position's comparison (as a prefill position's), its step number and cycles. */
export interface StepReport extends PositionReport {
  step: number;
  /** True for the steps that produce the N generated tokens (the last prompt step and after). */
  generates: boolean;
  cycles: StepCycles;
}

export interface RunResult {
  spec: string;
  engine: Engine;
  seed: number;
  mapping: AttentionMapping;
  layers: number;
  prompt: { tokens: number[]; note: string | null };
  tokens: { rtl: (number | null)[]; golden: number[] };
  /** The decode steps (with prefill: the positions after the prompt). */
  steps: StepReport[];
  /** With prefill: the prompt's tiles, position by position, and their cycles; else null. */
  prefill: PrefillReport | null;
  load: { instructions: number; words: number; measured: number | null; model: number };
  /** Every mismatch, in step order (capped at MAX_MISMATCHES), their count, and host-interface problems. */
  mismatches: Mismatch[];
  mismatch_count: number;
  problems: string[];
  sim: SimInfo | null;
}

export const MAX_MISMATCHES = 50;

/** Runs the decode; throws UserError for what the user can fix (sizes, Verilator missing). */
export async function runDecode(loaded: LoadedSpec, opts: RunOptions, progress: Progress = () => {}): Promise<RunResult> {
  checkRunSize(loaded);
  const { length, note } = choosePromptLength(loaded, opts.tokens, opts.promptLen);
  const m = loaded.derived.model;
  const prompt = drawPrompt(opts.seed, m.vocab_size, length);
  progress("weights/golden", `seed ${opts.seed}, prompt of ${length}, ${opts.tokens} token(s)`);
  const weights = randomLlamaWeights(loaded, opts.seed);
  const golden = decodeTokens(weights, prompt, opts.tokens);
  progress("compile");
  const compiled = compileDecode(loaded, weights, { prefill: opts.prefill === true });
  let progs = buildPrograms(compiled, golden, length, (i, n) => progress("compile", `step ${i + 1}/${n}`));
  if (opts.corruptLoadWord !== undefined) progs = corruptLoadWord(progs, opts.corruptLoadWord, compiled.layout.p.host_bits);
  const programs = inOrder(progs);
  const p = compiled.layout.p;

  const run: EngineRun =
    opts.engine === "model"
      ? runOnModel(p, programs, (k, n) => progress("simulate", k === 0 ? "load program (model engine)" : `step ${k}/${n - 1} (model engine)`))
      : await runOnRtl(loaded, programs, {
          building: () => progress("Verilator build", `${p.name}_chip (cached in .cache/verilator)`),
          simulating: (i) =>
            progress(
              "simulate",
              `${i.build.cached ? "build cached" : `built in ${i.build.seconds.toFixed(0)} s`}; ${i.instructions} instructions, ${i.words} s_data words, ` +
                `about ${i.modelCycles} cycles by the instruction model, one Verilator run`,
            ),
        });

  const model = perProgram(
    programs,
    programCycles(p, loaded.derived, programs.flatMap((prog) => prog.instrs.map((t) => t.instr))).map((c) => c.cycles),
  );
  const mismatches: Mismatch[] = [];
  let mismatch_count = 0;
  const T = progs.tiles.length;
  let prefill: PrefillReport | null = null;
  if (T > 0) {
    progress("compare", `prefill, ${T} tile(s)`);
    const tileIdx = progs.tiles.map((_, k) => k + 1);
    const waits = (per: readonly number[], k: number): number[] => bankWaitsToGemv(p, loaded.derived, progs.tiles[k]!.program, per);
    const pf = prefillReport(
      loaded.derived,
      progs.tiles,
      tileIdx.map((i) => run.reads[i] ?? []),
      run.measured ? tileIdx.map((i, k) => waits(run.measured![i]!, k)) : null,
      tileIdx.map((i, k) => waits(model[i]!, k)),
      golden.steps,
      mismatches,
      MAX_MISMATCHES,
    );
    prefill = pf.report;
    mismatch_count += pf.mismatchCount;
  }
  const steps: StepReport[] = golden.steps.slice(progs.firstStep).map((g, j) => {
    const i = progs.firstStep + j;
    progress("compare", `step ${i + 1}/${golden.steps.length}`);
    const prog = progs.steps[j]!;
    const k = 1 + T + j;
    const c = compareStep(i, prog, run.reads[k] ?? [], g);
    const measured = run.measured?.[k] ?? null;
    mismatch_count += c.mismatches.length;
    mismatches.push(...c.mismatches.slice(0, Math.max(0, MAX_MISMATCHES - mismatches.length)));
    return {
      step: i,
      pos: g.pos,
      token_in: g.token,
      rtl_token: c.token,
      golden_token: g.next,
      match: c.mismatches.length === 0,
      layers_match: c.layers_match,
      logits_match: c.logits_match,
      generates: i >= length - 1,
      cycles: stepCycles(prog, measured ? bankWaitsToGemv(p, loaded.derived, prog, measured) : null, bankWaitsToGemv(p, loaded.derived, prog, model[k]!), analyticalCycles(loaded, g.pos + 1), m.num_hidden_layers),
    };
  });
  const sum = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0);
  return {
    spec: loaded.spec.name,
    engine: opts.engine,
    seed: opts.seed,
    mapping: loaded.derived.mapping,
    layers: m.num_hidden_layers,
    prompt: { tokens: prompt, note },
    tokens: {
      rtl: [...(prefill ? [prefill.positions[prefill.positions.length - 1]!.rtl_token] : []), ...steps.filter((s) => s.generates).map((s) => s.rtl_token)],
      golden: golden.tokens,
    },
    steps,
    prefill,
    load: {
      instructions: progs.load.instrs.length,
      words: progs.load.data.length,
      measured: run.measured ? sum(run.measured[0]!) : null,
      model: sum(model[0]!),
    },
    mismatches,
    mismatch_count,
    problems: run.problems,
    sim: run.sim,
  };
}

/** True when every step matched bit for bit and the chip's host interface behaved. */
export function passed(r: RunResult): boolean {
  return r.mismatch_count === 0 && r.problems.length === 0;
}
