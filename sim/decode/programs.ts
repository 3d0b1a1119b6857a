// The programs of a run: the compiler's load program, then (with prefill) the prompt in tiles of
// workload.prefill_batch tokens, then one step program per remaining position with the golden
// model's input token (teacher forcing: step i decodes the token the golden model decoded at
// position i, so one wrong token on the chip does not change what every later step is compared
// against), every layer's output read back (readLayers). Only compileDecode's output is used.
import { programProblems, type CompiledDecode, type Program } from "../../generator/compiler/index.js";
import { UserError } from "../../generator/errors.js";
import type { DecodeRun } from "../golden/llama.js";
import type { PrefillTile } from "./prefill.js";

export interface RunPrograms {
  load: Program;
  /** The prompt's tiles (empty without prefill). */
  tiles: PrefillTile[];
  /** golden.steps[firstStep + j] is steps[j]: its position and input token. */
  firstStep: number;
  steps: Program[];
}

/**
 * Load, prefill and step programs; `promptLen` positions go to prefill tiles when the compiler has
 * them. `onStep` reports progress. Throws (an internal error) when the compiler broke a chip rule.
 */
export function buildPrograms(compiled: CompiledDecode, golden: DecodeRun, promptLen: number, onStep: (i: number, n: number) => void = () => {}): RunPrograms {
  const p = compiled.layout.p;
  const tiles: PrefillTile[] = [];
  const batch = compiled.tile?.batch ?? 0;
  if (compiled.prefill) {
    for (let first = 0; first < promptLen; first += batch) {
      const tokens = golden.steps.slice(first, Math.min(promptLen, first + batch)).map((g) => g.token);
      tiles.push({ first, tokens, program: compiled.prefill(first, tokens, { readLayers: true }) });
    }
  }
  const firstStep = compiled.prefill ? promptLen : 0;
  const rest = golden.steps.slice(firstStep);
  const steps = rest.map((g, j) => {
    onStep(j, rest.length);
    return compiled.step(g.pos, g.token, { readLayers: true });
  });
  const named: [string, Program][] = [
    ["the load program", compiled.load],
    ...tiles.map((t, k): [string, Program] => [`prefill tile ${k}'s program`, t.program]),
    ...steps.map((s, j): [string, Program] => [`step ${firstStep + j}'s program`, s]),
  ];
  for (const [name, prog] of named) {
    const problems = programProblems(p, prog);
    if (problems.length > 0) throw new Error(`compiler: ${name}: ${problems.slice(0, 3).join("; ")}`);
  }
  return { load: compiled.load, tiles, firstStep, steps };
}

/** The programs in the order they run (load first, then the tiles, then the steps). */
export function inOrder(progs: RunPrograms): Program[] {
  return [progs.load, ...progs.tiles.map((t) => t.program), ...progs.steps];
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
