// The RTL engine: every program of the run (load first, then the steps) back to back in ONE run of
// the Verilated chip (sim/tests/chip.ts: chipBuild, chipStimulus, parseChipRun; the build cached
// in .cache/verilator by content). One stimulus holds all instructions (plus a final nop, so the
// last real instruction's cycles are measured too) and all s_data words; the host never stalls.
// +verilator+rand+reset+2 gives every register and memory a random start value, so a program that
// reads what it never wrote shows up as a mismatch. Measured cycles per instruction are accept edge
// to next accept edge, as sim/tests/chip.ts measures them; m_data words are cut per program and
// per read (Program.reads).
// With `preloadBmem`, the ld_bmem instructions before the chip's first BMEM use (gemv, st_bmem,
// st_vt: in practice the load program's weights and KV cache) are taken out of the stimulus and
// their words written to one file per bank, named by its BMEM's hierarchical name, that the
// chip's BMEMs read at time 0 (the +bmem_preload back door of {name}_dpram_be); those instructions
// then measure 0 cycles. Same
// memory contents, far fewer simulated cycles: the benchmark's weight load.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { instructionsOf, type Program } from "../../generator/compiler/index.js";
import { rewrap } from "../../generator/compiler/words.js";
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

export interface RtlOptions {
  /** Load BMEM through the simulation back door instead of the leading ld_bmem instructions. */
  preloadBmem?: boolean;
}

/** s_data words an instruction consumes. */
function dataWords(i: Instruction): number {
  return i.op === "ld_bmem" || i.op === "wr_cmem" || i.op === "wr_cram" ? Number(i.n) : 0;
}

export interface Preload {
  /** What still goes through the host interface, and per original instruction whether it was kept. */
  instrs: Instruction[];
  data: bigint[];
  kept: boolean[];
  /** bank → its preload file's text ($readmemh: @address lines, then one hex word a line). */
  files: Map<number, string>;
  words: number;
}

/** Splits the leading ld_bmem instructions (before the first gemv, st_bmem or st_vt) off into BMEM preload files. */
export function splitPreload(p: ReturnType<typeof chipParams>, programs: readonly Program[]): Preload {
  const instrs: Instruction[] = [];
  const data: bigint[] = [];
  const kept: boolean[] = [];
  const files = new Map<number, string[]>();
  let words = 0;
  let loading = true;
  const hexDigits = Math.ceil(p.bank.read_bits / 4);
  for (const prog of programs) {
    let at = 0;
    for (const { instr } of prog.instrs) {
      const n = dataWords(instr);
      const mine = prog.data.slice(at, at + n);
      at += n;
      if (instr.op === "gemv" || instr.op === "st_bmem" || instr.op === "st_vt") loading = false;
      if (loading && instr.op === "ld_bmem") {
        const bmem = rewrap(mine, p.host_bits, p.bank.read_bits);
        const lines = files.get(Number(instr.bank)) ?? [];
        lines.push(`@${Number(instr.addr).toString(16)}`, ...bmem.map((w) => w.toString(16).padStart(hexDigits, "0")));
        files.set(Number(instr.bank), lines);
        words += bmem.length;
        kept.push(false);
        continue;
      }
      instrs.push(instr);
      data.push(...mine);
      kept.push(true);
    }
    if (at !== prog.data.length) throw new Error(`engine: a program's instructions consume ${at} s_data words, it has ${prog.data.length}`);
  }
  return { instrs, data, kept, files: new Map([...files].map(([b, lines]) => [b, `${lines.join("\n")}\n`])), words };
}

/** The preload file of a bank: its BMEM's hierarchical name in the Verilated chip (as %m prints it), .hex. */
export function preloadFile(name: string, bank: number): string {
  return `TOP.${name}_chip.g_bank[${bank}].u_bank.u_bmem.hex`;
}

export async function runOnRtl(loaded: LoadedSpec, programs: readonly Program[], hooks: RtlHooks, opts: RtlOptions = {}): Promise<EngineRun> {
  const p = chipParams(loaded);
  hooks.building();
  const t0 = Date.now();
  const model = await buildVerilated(chipBuild(loaded));
  const build = { cached: model.cached, seconds: (Date.now() - t0) / 1000 };
  const all0 = programs.flatMap(instructionsOf);
  const pre = opts.preloadBmem ? splitPreload(p, programs) : null;
  const instrs: Instruction[] = [...(pre ? pre.instrs : all0), { op: "nop" }];
  const data = pre ? pre.data : programs.flatMap((prog) => prog.data);
  const modelCycles = programCycles(p, loaded.derived, instrs).reduce((s, c) => s + c.cycles, 0);
  hooks.simulating({ instructions: instrs.length - 1, words: data.length, modelCycles, build });
  const limit = CYCLE_BUDGET * modelCycles + 10_000;
  const dir = mkdtempSync(join(tmpdir(), "pim-gen-run-"));
  let stdout: string;
  try {
    const stim = join(dir, "stimulus.txt");
    writeFileSync(stim, chipStimulus(p, { instrs, data, stall: 0 }, 1, limit));
    const preloadArgs: string[] = [];
    if (pre) {
      for (const [bank, text] of pre.files) writeFileSync(join(dir, preloadFile(p.name, bank)), text);
      preloadArgs.push(`+bmem_preload=${dir}`);
    }
    // A slow simulation (1e4 cycles/s) of the whole budget, and at least five minutes.
    const timeoutMs = Math.max(300_000, limit / 10);
    stdout = await runVerilated(model, [stim, `+verilator+seed+${CHIP_VERILATOR_SEEDS[0]!}`, "+verilator+rand+reset+2", ...preloadArgs], { timeoutMs });
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
  // Instructions never accepted (a hang) have no cycles: NaN marks them; preloaded ones take 0.
  const deltas = acceptDeltas(run.accept);
  const sent = instrs.slice(0, -1).map((_, i) => deltas[i] ?? Number.NaN);
  let k = 0;
  const all = pre ? pre.kept.map((kept) => (kept ? sent[k++]! : 0)) : sent;
  return {
    reads,
    measured: perProgram(programs, all),
    problems,
    sim: { cycles: run.cycles, wall_s: run.wall_s, build, ...(pre ? { preloaded_bmem_words: pre.words } : {}) },
  };
}
