// The model engine: the run's programs on the instruction-level golden chip (sim/golden/chip.ts
// ChipModel), through the compiler's own host driver (runProgram of generator/compiler/run-model.ts,
// the one runDecodeOnChipModel uses). Fast and needs no Verilator; it measures no cycles.
import { runProgram, type Program } from "../../generator/compiler/index.js";
import type { ChipParams } from "../../generator/rtl/chip.js";
import { ChipModel } from "../golden/chip.js";
import type { EngineRun } from "./engine.js";

/** Runs the programs in order on one ChipModel; `onProgram(k, n)` before program k of n. */
export function runOnModel(p: ChipParams, programs: readonly Program[], onProgram: (k: number, n: number) => void = () => {}): EngineRun {
  const chip = new ChipModel(p);
  const reads = programs.map((prog, k) => {
    onProgram(k, programs.length);
    return runProgram(chip, prog);
  });
  const problems: string[] = [];
  const left = chip.pending.reduce((s, q) => s + q.length, 0);
  if (left > 0) problems.push(`${left} GEMV result list(s) never gathered`);
  return { reads, measured: null, problems, sim: null };
}
