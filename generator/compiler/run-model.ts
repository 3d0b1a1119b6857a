// Runs compiled programs on the instruction-level golden chip (sim/golden/chip.ts ChipModel): the
// host's side of a decode — the load program once, then per token the step program with the
// embedding row, the logits read back and the argmax (the chip has no argmax index).
import { ChipModel } from "../../sim/golden/chip.js";
import type { LlamaWeights } from "../../sim/golden/llama-weights.js";
import type { LoadedSpec } from "../spec/load.js";
import { compileDecode, type CompiledDecode } from "./compile.js";
import { readsOfPosition, type Program } from "./program.js";
import { unpackFromWords } from "./words.js";

/** Index of the largest value, the lowest on ties (as the golden model's argmax). */
export function hostArgmax(xs: readonly bigint[]): number {
  let best = 0;
  xs.forEach((v, i) => {
    if (v > xs[best]!) best = i;
  });
  return best;
}

/** Runs a program on a chip model; returns, per rd_cmem of the program, its elements. */
export function runProgram(chip: ChipModel, prog: Program): bigint[][] {
  const before = chip.hostOut.length;
  chip.send(prog.data);
  for (const { instr } of prog.instrs) chip.run(instr);
  const words = chip.hostOut.slice(before).map((o) => o.data);
  const results: bigint[][] = [];
  let at = 0;
  for (const r of prog.reads) {
    results.push(unpackFromWords(words.slice(at, at + r.words), chip.p.host_bits, chip.p.act_bits, r.elems));
    at += r.words;
  }
  if (at !== words.length) throw new Error(`compiler: the program sent ${words.length} words to the host, its reads account for ${at}`);
  return results;
}

export interface ChipStep {
  pos: number;
  token: number;
  /** Every layer's output, read back from CMEM after the layer. */
  layerOutputs: bigint[][];
  logits: bigint[];
  /** The host's argmax of the logits. */
  next: number;
  /** The step's program (instructions with their tags, host words, reads). */
  program: Program;
}

export interface ChipDecodeRun {
  tokens: number[];
  steps: ChipStep[];
  compiled: CompiledDecode;
  chip: ChipModel;
}

/**
 * As sim/golden/llama.ts decodeTokens, on the chip model: the prompt token by token (or with
 * `prefill`, in tiles of workload.prefill_batch tokens, one prefill program each), then n tokens
 * greedily (prompt.length + max(n - 1, 0) positions; a prompt position's ChipStep.program is its
 * tile's).
 */
export function runDecodeOnChipModel(loaded: LoadedSpec, weights: LlamaWeights, prompt: readonly number[], n: number, opts: { prefill?: boolean } = {}): ChipDecodeRun {
  if (prompt.length === 0) throw new Error("compiler: empty prompt");
  const compiled = compileDecode(loaded, weights, { prefill: opts.prefill === true });
  const chip = new ChipModel(compiled.layout.p);
  runProgram(chip, compiled.load);
  const steps: ChipStep[] = [];
  const tokens: number[] = [];
  const total = prompt.length + Math.max(0, n - 1);
  const tile = compiled.tile;
  if (compiled.prefill && tile) {
    for (let first = 0; first < prompt.length; first += tile.batch) {
      const toks = prompt.slice(first, first + tile.batch);
      const program = compiled.prefill(first, toks, { readLayers: true });
      const reads = runProgram(chip, program);
      toks.forEach((token, t) => {
        const mine = readsOfPosition(program, reads, first + t);
        const layerOutputs = mine.reads.filter((_, k) => mine.prog.reads[k]!.what === "layer_output");
        const logits = mine.reads.find((_, k) => mine.prog.reads[k]!.what === "logits") ?? [];
        steps.push({ pos: first + t, token, layerOutputs, logits, next: hostArgmax(logits), program });
      });
    }
    if (n > 0) tokens.push(steps[steps.length - 1]!.next);
  }
  for (let i = steps.length; i < total; i++) {
    const token = i < prompt.length ? prompt[i]! : tokens[i - prompt.length]!;
    const program = compiled.step(i, token, { readLayers: true });
    const reads = runProgram(chip, program);
    const logits = reads[reads.length - 1]!;
    const next = hostArgmax(logits);
    steps.push({ pos: i, token, layerOutputs: reads.slice(0, -1), logits, next, program });
    if (i >= prompt.length - 1 && tokens.length < n) tokens.push(next);
  }
  return { tokens, steps, compiled, chip };
}
