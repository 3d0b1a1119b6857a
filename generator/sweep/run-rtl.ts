// `gen-rtl sweep --rtl`: every point of the grid also decoded on its Verilated chip — what
// `gen-rtl run <point> --tokens 1 --engine rtl` does: the default prompt (workload.prompt_len capped
// at 8), then one generated token, every layer output and the logits checked bit for bit against
// the golden LLaMA, every step's measured cycles against the instruction-level cycle model
// (within sim/suite.ts CYCLE_TOLERANCE, exact today). The point's figures are those of the step
// that generates the token (the last one): measured, instruction model and the analytical model at
// that step's position, all without host I/O.
//
// Points run in parallel, at most `jobs` at a time (default os.availableParallelism()), in this
// process: each point's work is mostly child processes (the Verilator build, ~1 minute cold on
// small specs and cached by content hash in .cache/verilator — points with the same chip share one
// build, and concurrent requests for one build wait for the same one —, then the simulation).
import { availableParallelism } from "node:os";
import { UserError } from "../errors.js";
import type { LoadedSpec } from "../spec/load.js";
import { predictChipToken } from "../compiler/predict.js";
import { checkRunSize, choosePromptLength } from "../../sim/decode/prompt.js";
import { passed, runDecode } from "../../sim/decode/run.js";
import { cyclesWithinTolerance } from "../../sim/suite.js";
import type { CheckedPoint } from "./grid.js";

export interface RtlOptions {
  tokens: number;
  seed: number;
  jobs: number;
}

export const DEFAULT_RTL: Omit<RtlOptions, "jobs"> = { tokens: 1, seed: 1 };

export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

export interface RtlPoint {
  /** Bit-exact at every step and every step's measured cycles within tolerance of the instruction model. */
  passed: boolean;
  /** Every layer output, the logits and the tokens bit for bit. */
  match: boolean;
  /** Every step's measured cycles within tolerance of the instruction model. */
  cycles_ok: boolean;
  /** Decode steps simulated (prompt + tokens − 1). */
  steps: number;
  /** Position of the step that generates the (last) token. */
  pos: number | null;
  /** That step's cycles without host I/O: measured on the RTL, the instruction model's, the analytical model's at L = pos + 1. */
  measured_cycles: number | null;
  model_cycles: number | null;
  analytical_cycles: number | null;
  /** What went wrong: the first mismatch, a cycle difference, a host-interface problem, or an error. */
  problem: string | null;
}

/** What `gen-rtl run` needs beyond the spec's RTL checks, checked for every point before any runs. */
export function checkRtlPoint(loaded: LoadedSpec, tokens: number): void {
  checkRunSize(loaded);
  choosePromptLength(loaded, tokens);
  const chip = predictChipToken(loaded, loaded.derived.mapping);
  if ("unavailable" in chip) throw new UserError(`the compiler cannot serve it: ${chip.unavailable}`);
}

export async function rtlPoint(loaded: LoadedSpec, opts: Omit<RtlOptions, "jobs">, progress: (phase: string) => void): Promise<RtlPoint> {
  try {
    const r = await runDecode(loaded, { tokens: opts.tokens, seed: opts.seed, engine: "rtl" }, (phase) => progress(phase));
    const last = r.steps[r.steps.length - 1];
    const bad = r.steps.find((s) => s.cycles.measured === null || !cyclesWithinTolerance(s.cycles.measured.decode, s.cycles.model.decode));
    const match = passed(r);
    const cycles_ok = bad === undefined;
    const problem = !match
      ? (r.problems[0] ?? (r.mismatches[0] ? `step ${r.mismatches[0].step}: ${r.mismatches[0].what} differs` : "mismatch"))
      : bad
        ? `step ${bad.step}: measured ${bad.cycles.measured?.decode ?? "no"} cycles, instruction model ${bad.cycles.model.decode}`
        : null;
    return {
      passed: match && cycles_ok,
      match,
      cycles_ok,
      steps: r.steps.length,
      pos: last?.pos ?? null,
      measured_cycles: last?.cycles.measured?.decode ?? null,
      model_cycles: last?.cycles.model.decode ?? null,
      analytical_cycles: last?.cycles.analytical ?? null,
      problem,
    };
  } catch (e) {
    const message = e instanceof Error ? e.message.split("\n")[0]! : String(e);
    return { passed: false, match: false, cycles_ok: false, steps: 0, pos: null, measured_cycles: null, model_cycles: null, analytical_cycles: null, problem: message };
  }
}

/** Runs `work` on every item, at most `limit` at a time; results in the items' order. */
export async function pool<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** A text progress bar: [#####.....] 5/10 */
export function bar(done: number, total: number, width = 20): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total}`;
}

export async function runRtlPoints(points: readonly CheckedPoint[], opts: RtlOptions, progress: (detail: string) => void): Promise<RtlPoint[]> {
  let done = 0;
  const phases = new Map<number, string>();
  const report = (): void => {
    const running = [...phases].map(([i, p]) => `#${i} ${p}`).join(", ");
    progress(`${bar(done, points.length)} points${running ? `; ${running}` : ""}`);
  };
  report();
  return pool(points, opts.jobs, async (p) => {
    phases.set(p.index, "start");
    report();
    const r = await rtlPoint(p.loaded, opts, (phase) => {
      phases.set(p.index, phase);
      report();
    });
    phases.delete(p.index);
    done++;
    report();
    return r;
  });
}
