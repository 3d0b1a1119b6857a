// The RTL engine: every program of the run (load first, then the steps) back to back in ONE run of
// the Verilated chip (sim/tests/chip.ts: chipBuild, chipStimulus, parseChipRun; the build cached
// in .cache/verilator by content). One stimulus holds all instructions (plus a final nop, so the
// last real instruction's cycles are measured too) and all s_data words; the host never stalls.
// +verilator+rand+reset+2 gives every register and memory a random start value, so a program that
// reads what it never wrote shows up as a mismatch. Measured cycles per instruction are accept edge
// to next accept edge, as sim/tests/chip.ts measures them; m_data words are cut per program and
// per read (Program.reads).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { instructionsOf, type Program } from "../../generator/compiler/index.js";
import { programCycles } from "../../generator/model/cycles-chip.js";
import { chipParams, type Instruction } from "../../generator/rtl/chip.js";
import type { LoadedSpec } from "../../generator/spec/load.js";
import { buildVerilated, runVerilated } from "../harness/verilator.js";
import { CHIP_VERILATOR_SEEDS, chipBuild, chipStimulus, parseChipRun } from "../tests/chip.js";
import { acceptDeltas, perProgram, splitReads, type EngineRun } from "./engine.js";

export interface RtlHooks {
  /** Before the build (cached or not). */
  building(): void;
  /** Before the simulation: instructions, s_data words and the instruction model's cycles. */
  simulating(info: { instructions: number; words: number; modelCycles: number; build: { cached: boolean; seconds: number } }): void;
}

/** The testbench gives up after this many times the instruction model's cycles (plus a margin). */
const CYCLE_BUDGET = 20;

export async function runOnRtl(loaded: LoadedSpec, programs: readonly Program[], hooks: RtlHooks): Promise<EngineRun> {
  const p = chipParams(loaded);
  hooks.building();
  const t0 = Date.now();
  const model = await buildVerilated(chipBuild(loaded));
  const build = { cached: model.cached, seconds: (Date.now() - t0) / 1000 };
  const instrs: Instruction[] = [...programs.flatMap(instructionsOf), { op: "nop" }];
  const data = programs.flatMap((prog) => prog.data);
  const modelCycles = programCycles(p, loaded.derived, instrs).reduce((s, c) => s + c.cycles, 0);
  hooks.simulating({ instructions: instrs.length - 1, words: data.length, modelCycles, build });
  const limit = CYCLE_BUDGET * modelCycles + 10_000;
  const dir = mkdtempSync(join(tmpdir(), "pim-gen-run-"));
  let stdout: string;
  try {
    const stim = join(dir, "stimulus.txt");
    writeFileSync(stim, chipStimulus(p, { instrs, data, stall: 0 }, 1, limit));
    // A slow simulation (1e4 cycles/s) of the whole budget, and at least five minutes.
    const timeoutMs = Math.max(300_000, limit / 10);
    stdout = await runVerilated(model, [stim, `+verilator+seed+${CHIP_VERILATOR_SEEDS[0]!}`, "+verilator+rand+reset+2"], { timeoutMs });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const run = parseChipRun(stdout);
  const problems: string[] = [];
  if (run.timeout) problems.push(`the chip timed out after ${limit} cycles (${run.accept.length} of ${instrs.length} instructions accepted)`);
  else if (run.accept.length !== instrs.length) problems.push(`${run.accept.length} of ${instrs.length} instructions accepted`);
  if (run.data_taken !== data.length) problems.push(`${run.data_taken} of ${data.length} s_data words taken`);
  const { reads, problems: readProblems } = splitReads(programs, run.out, p.host_bits, p.act_bits);
  problems.push(...readProblems);
  // Instructions never accepted (a hang) have no cycles: NaN marks them.
  const deltas = acceptDeltas(run.accept);
  const all = instrs.slice(0, -1).map((_, i) => deltas[i] ?? Number.NaN);
  return {
    reads,
    measured: perProgram(programs, all),
    problems,
    sim: { cycles: run.cycles, wall_s: run.wall_s, build },
  };
}
