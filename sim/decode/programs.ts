// The programs of a run: the compiler's load program, then one step program per position with the
// golden model's input token (teacher forcing: step i decodes the token the golden model decoded at
// position i, so one wrong token on the chip does not change what every later step is compared
// against), every layer's output read back (readLayers). Only compileDecode's output is used.
import { programProblems, type CompiledDecode, type Program } from "../../generator/compiler/index.js";
import { UserError } from "../../generator/errors.js";
import type { DecodeRun } from "../golden/llama.js";

export interface RunPrograms {
  load: Program;
  /** steps[i]: position i, input token golden.steps[i].token. */
  steps: Program[];
}

/** Load and step programs; `onStep` reports progress. Throws (an internal error) when the compiler broke a chip rule. */
export function buildPrograms(compiled: CompiledDecode, golden: DecodeRun, onStep: (i: number, n: number) => void = () => {}): RunPrograms {
  const p = compiled.layout.p;
  const steps = golden.steps.map((g, i) => {
    onStep(i, golden.steps.length);
    return compiled.step(g.pos, g.token, { readLayers: true });
  });
  [compiled.load, ...steps].forEach((prog, i) => {
    const problems = programProblems(p, prog);
    if (problems.length > 0) throw new Error(`compiler: ${i === 0 ? "the load program" : `step ${i - 1}'s program`}: ${problems.slice(0, 3).join("; ")}`);
  });
  return { load: compiled.load, steps };
}

/** The programs in the order they run (load first). */
export function inOrder(progs: RunPrograms): Program[] {
  return [progs.load, ...progs.steps];
}

/**
 * A fault for testing the checker: s_data word `index` of the load program with every bit flipped
 * (a copy; the index must be within the load program's words).
 */
export function corruptLoadWord(progs: RunPrograms, index: number, hostBits: number): RunPrograms {
  const data = progs.load.data;
  if (!Number.isInteger(index) || index < 0 || index >= data.length) throw new UserError(`--corrupt-load-word: the load program has ${data.length} s_data words, not a word ${index}`);
  const mask = (1n << BigInt(hostBits)) - 1n;
  return { ...progs, load: { ...progs.load, data: data.map((w, i) => (i === index ? w ^ mask : w)) } };
}
