// The bank's Verilator tests: seeded random stimulus, expected results from the golden model
// (sim/golden/bank.ts) and expected cycles from the cycle model (generator/model/cycles.ts), never
// from the RTL. Each test runs the same Verilated bank with several +verilator+seed values and
// +verilator+rand+reset+2 (every register and RAM word starts random): results must not depend on
// uninitialised state.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bankGemvCycles, bankGemvSchedule, type GemvArrival, type GemvTiming } from "../../generator/model/cycles.js";
import { bankParams, rtlModules, type BankParams } from "../../generator/rtl/index.js";
import type { Derived } from "../../generator/spec/derive.js";
import type { LoadedSpec } from "../../generator/spec/load.js";
import { bankTestbench } from "../../generator/tb/bank_tb.js";
import {
  bankGemv,
  bankMemories,
  batchOf,
  bramWordsPerRow,
  gemvBeats,
  gemvReference,
  packActivations,
  packWeightRow,
  wordsPerRow,
  type BankMemories,
  type GemvCommand,
} from "../golden/bank.js";
import type { Dot } from "../golden/mac.js";
import { buildVerilated, runVerilated, type BuiltModel, type VerilatorBuild } from "../harness/verilator.js";
import { prng, type Prng } from "../prng.js";
import { CYCLE_TOLERANCE, cyclesWithinTolerance, type SimTest } from "../suite.js";

export type Mem = "bmem" | "bram";

export interface MemWrite {
  mem: Mem;
  addr: number;
  data: bigint;
}

/** A write in cycle `cycle` of the timed phase (it takes effect at edge `cycle`). */
export interface TimedWrite extends MemWrite {
  cycle: number;
}

/** A GEMV command presented from cycle `at` until the bank accepts it. */
export interface TimedCommand {
  at: number;
  cmd: GemvCommand;
}

export interface BankScenario {
  /** Written through the write ports before cycle 0. */
  preload: MemWrite[];
  writes: TimedWrite[];
  commands: TimedCommand[];
  /** Probability (%) that res_ready is high in a cycle; 100 = always (cycle-exact checks). */
  ready_percent: number;
  /** After the preload: rst high again while every preloaded word is written with its digits inverted (the bank must ignore it). */
  reset_writes?: boolean;
}

/** What the testbench reports. */
export interface BankRun {
  accept: number[];
  results: { cycle: number; data: bigint }[];
  extra_results: number;
  pending_commands: number;
  timeout: boolean;
  cycles: number;
  ticks: number;
  wall_s: number;
}

export interface BankExpectation {
  /** Per command, per row. */
  results: Dot[][];
  /** Per command (res_ready always high), else null. */
  timing: GemvTiming[] | null;
}

export interface CheckContext {
  p: BankParams;
  d: Derived;
  scenario: BankScenario;
  expected: BankExpectation;
  run: BankRun;
}

export interface BankCase {
  scenario: BankScenario;
  /** Test-specific checks on top of the common ones; returns failure messages. */
  check?: (c: CheckContext) => string[];
  /** The command whose cycles the report shows (default: all commands, first accept to last result). */
  report_command?: number;
}

export interface BankTestDef {
  name: string;
  description: string;
  make(rng: Prng, p: BankParams, d: Derived): BankCase;
}

export interface SimTestResult {
  name: string;
  passed: boolean;
  seed: number;
  cycles: { measured: number; model: number } | null;
  /** Simulated clock cycles per wall-clock second (all ticks, all Verilator seeds). */
  sim_cycles_per_s: number | null;
  messages: string[];
}

/** A long GEMV must reach this share of the roofline. */
export const ROOFLINE_SHARE = 0.95;
/** +verilator+seed values every test runs with. */
export const VERILATOR_SEEDS: readonly number[] = [1, 7919];

// ---- stimulus helpers --------------------------------------------------------------------------

const minOf = (bits: number): bigint => -(1n << BigInt(bits - 1));
const maxOf = (bits: number): bigint => (1n << BigInt(bits - 1)) - 1n;

function randomVector(rng: Prng, n: number, bits: number): bigint[] {
  return Array.from({ length: n }, () => rng.signed(bits));
}

/** Bits of a row's fields: weights, or KV elements in KV mode. */
function fieldBits(p: BankParams, kv: boolean): number {
  return kv ? p.kv_bits : p.weight_bits;
}

/** The GEMV as the cycle model's schedule takes it. */
function arrival(at: number, cmd: GemvCommand): GemvArrival {
  return { at, rows: cmd.rows, cols: cmd.cols, kv: cmd.kv ?? false, batch: cmd.batch ?? 1 };
}

/** Weights for `rows` rows at w_base and activations at a_base, as preload writes. */
function placeGemv(
  rng: Prng,
  p: BankParams,
  cmd: GemvCommand,
  weights: readonly (readonly bigint[])[],
  acts: readonly bigint[],
): MemWrite[] {
  const out: MemWrite[] = [];
  const kv = cmd.kv ?? false;
  const wpr = (cmd.pitch ?? 0) > 0 ? cmd.pitch! : wordsPerRow(p, cmd.cols, kv);
  weights.forEach((row, r) => {
    packWeightRow(p, row, () => rng.signed(fieldBits(p, kv)), kv).forEach((data, k) =>
      out.push({ mem: "bmem", addr: cmd.w_base + r * wpr + k, data }),
    );
  });
  packActivations(p, acts, () => rng.signed(p.act_bits), cmd.a_slice ?? 0).forEach((data, k) => out.push({ mem: "bram", addr: cmd.a_base + k, data }));
  return out;
}

function randomGemv(rng: Prng, p: BankParams, cmd: GemvCommand): { weights: bigint[][]; acts: bigint[]; writes: MemWrite[] } {
  const weights = Array.from({ length: cmd.rows }, () => randomVector(rng, cmd.cols, fieldBits(p, cmd.kv ?? false)));
  const acts = randomVector(rng, cmd.cols, p.act_bits);
  return { weights, acts, writes: placeGemv(rng, p, cmd, weights, acts) };
}

function randomWord(rng: Prng, p: BankParams, mem: Mem): bigint {
  return rng.bits(mem === "bmem" ? p.read_bits : p.bram_width);
}

function sameDots(a: readonly Dot[], b: readonly Dot[]): boolean {
  return a.length === b.length && a.every((x, i) => x.value === b[i]!.value);
}

/**
 * Six rows of `cols` fields of `bits`: all most negative (row 0: with most negative activations,
 * the largest sum), all most positive, alternating, -1 and most negative, zeros, random.
 */
function extremeRows(rng: Prng, bits: number, cols: number): bigint[][] {
  const lo = minOf(bits);
  const hi = maxOf(bits);
  const patterns: ((c: number) => bigint)[] = [
    () => lo,
    () => hi,
    (c) => (c % 2 === 0 ? lo : hi),
    (c) => (c % 3 === 0 ? -1n : lo),
    () => 0n,
    () => rng.signed(bits),
  ];
  return patterns.map((f) => Array.from({ length: cols }, (_, c) => f(c)));
}

/**
 * A read-during-write test's own check: the same run under the other rule (write-first: a read sees
 * the write of its own edge) must give other results, or the test shows nothing.
 */
function writeFirstDiffers(p: BankParams, cmd: GemvCommand, accept: number): (c: CheckContext) => string[] {
  return ({ scenario, expected }) => {
    const mem = applyMemories(p, scenario);
    const writeFirst = bankGemv(p, mem, cmd, (s) => accept + 2 + s);
    return sameDots(writeFirst, expected.results[0]!)
      ? ["golden: read-first and write-first give the same results here, so the test shows nothing; pick other words"]
      : [];
  };
}

/**
 * A GEMM: `rows` random weight rows at w_base and `batch` random activation vectors, vector t at
 * BRAM word a_base + t × a_stride (the stride a vector's words plus `gap`), as preload writes.
 * Columns are what lets the whole tile fit in BRAM, at most `cols`.
 */
function randomGemm(
  rng: Prng,
  p: BankParams,
  at: { w_base: number; rows: number; batch: number; cols: number; gap: number },
): { cmd: GemvCommand; weights: bigint[][]; vectors: bigint[][]; writes: MemWrite[] } {
  let cols = at.cols;
  while (cols > 1 && at.batch * (bramWordsPerRow(p, cols) + at.gap) > p.bram_depth) cols = Math.floor(cols / 2);
  const a_stride = bramWordsPerRow(p, cols) + at.gap;
  const a_base = rng.int(0, p.bram_depth - (at.batch - 1) * a_stride - bramWordsPerRow(p, cols));
  const cmd: GemvCommand = { w_base: at.w_base, a_base, rows: at.rows, cols, batch: at.batch, a_stride };
  const weights = Array.from({ length: at.rows }, () => randomVector(rng, cols, p.weight_bits));
  const vectors = Array.from({ length: at.batch }, () => randomVector(rng, cols, p.act_bits));
  const writes = placeGemv(rng, p, { ...cmd, a_base: 0 }, weights, []).filter((w) => w.mem === "bmem");
  vectors.forEach((v, t) =>
    packActivations(p, v, () => rng.signed(p.act_bits)).forEach((data, k) => writes.push({ mem: "bram", addr: a_base + t * a_stride + k, data })),
  );
  return { cmd, weights, vectors, writes };
}

/** Row-major GEMM results straight from the matrices (row r for vectors 0 .. B-1, then row r + 1). */
function gemmReference(weights: readonly (readonly bigint[])[], vectors: readonly (readonly bigint[])[], accBits: number): Dot[] {
  const perVector = vectors.map((v) => gemvReference(weights, v, accBits));
  return weights.flatMap((_, r) => perVector.map((dots) => dots[r]!));
}

/** Every result's edge as the cycle model's schedule says (res_ready always high). */
function resultEdgesAsModelled({ expected, run }: CheckContext): string[] {
  const want = expected.timing!.flatMap((t) => t.results);
  const bad = run.results.findIndex((r, i) => r.cycle !== want[i]);
  return bad < 0 ? [] : [`result ${bad} taken at edge ${run.results[bad]!.cycle}, the model says ${want[bad]}`];
}

// ---- the tests ---------------------------------------------------------------------------------

export const BANK_TESTS: readonly BankTestDef[] = [
  {
    name: "reset_writes",
    description:
      "writes while rst is high are ignored: after the preload, rst again with every weight and activation word written with its digits inverted through both ports; the GEMV still reads the preloaded words (a write enable still at its power-up value once corrupted a preloaded BMEM)",
    make(rng, p) {
      const cols = Math.min(p.max_cols, p.lanes * 2 + 1);
      const cmd: GemvCommand = { w_base: rng.int(0, 7), a_base: rng.int(0, p.bram_depth - bramWordsPerRow(p, cols)), rows: rng.int(3, 6), cols };
      const g = randomGemv(rng, p, cmd);
      return {
        scenario: { preload: g.writes, writes: [], commands: [{ at: 0, cmd }], ready_percent: 100, reset_writes: true },
        check: ({ expected }) =>
          sameDots(expected.results[0]!, gemvReference(g.weights, g.acts, p.acc_bits)) ? [] : ["golden bank model disagrees with the plain matrix reference"],
      };
    },
  },
  {
    name: "gemv_slice",
    description:
      "two GEMVs back to back whose activations start mid-word (cmd_a_slice: the last slice, then slice 1 or 0), rows running past the word: each row restarts at its command's slice; bit-exact and cycle-exact",
    make(rng, p) {
      const cols = Math.min(p.max_cols, p.lanes * (p.bram_slices + 1) + 1);
      const slices = [p.bram_slices - 1, Math.min(1, p.bram_slices - 1)];
      const cmds = slices.map((a_slice, i): GemvCommand => ({ w_base: i * 40, a_base: i * (2 + Math.ceil((cols / p.lanes + a_slice) / p.bram_slices)), a_slice, rows: rng.int(3, 6), cols }));
      const gs = cmds.map((cmd) => randomGemv(rng, p, cmd));
      return {
        scenario: { preload: gs.flatMap((g) => g.writes), writes: [], commands: cmds.map((cmd, i) => ({ at: i, cmd })), ready_percent: 100 },
        check: ({ expected }) =>
          gs.every((g, i) => sameDots(expected.results[i]!, gemvReference(g.weights, g.acts, p.acc_bits)))
            ? []
            : ["golden bank model disagrees with the plain matrix reference (activations from a slice)"],
      };
    },
  },
  {
    name: "gemv_random",
    description: "random GEMVs, columns not a multiple of the lanes (padding masked), bit-exact and cycle-exact",
    make(rng, p) {
      const cols = Math.min(p.max_cols, rng.int(Math.max(1, p.lanes * 3 + 1), Math.max(p.lanes * 3 + 1, Math.floor(p.max_cols / 2))));
      const cmd: GemvCommand = { w_base: rng.int(0, 7), a_base: rng.int(0, p.bram_depth - bramWordsPerRow(p, cols)), rows: rng.int(5, 12), cols };
      const g = randomGemv(rng, p, cmd);
      return {
        scenario: { preload: g.writes, writes: [], commands: [{ at: rng.int(0, 3), cmd }], ready_percent: 100 },
        check: ({ expected }) =>
          sameDots(expected.results[0]!, gemvReference(g.weights, g.acts, p.acc_bits))
            ? []
            : ["golden bank model disagrees with the plain matrix reference (layout helpers)"],
      };
    },
  },
  {
    name: "gemv_extremes",
    description:
      "most negative / most positive weights against full-scale negative and positive activations, long rows: the largest sums, and the accumulator's wrap-around where it is narrow enough",
    make(rng, p, d) {
      const cols = p.max_cols;
      const wMin = minOf(p.weight_bits);
      const aMin = minOf(p.act_bits);
      const aMax = maxOf(p.act_bits);
      const weights = extremeRows(rng, p.weight_bits, cols);
      const rows = weights.length;
      // Two commands on the same weights: activations all most-negative, then all most-positive
      // (BRAM is rewritten between them, after the first command's last read).
      const cmd: GemvCommand = { w_base: 0, a_base: 0, rows, cols };
      const negActs = Array.from({ length: cols }, () => aMin);
      const posActs = Array.from({ length: cols }, () => aMax);
      const preload = placeGemv(rng, p, cmd, weights, negActs);
      const first = bankGemvSchedule(d, [{ at: 0, rows, cols }])[0]!;
      const lastRead = first.accept + first.cycles.stream;
      const writes: TimedWrite[] = packActivations(p, posActs, () => rng.signed(p.act_bits)).map((data, k) => ({
        cycle: lastRead + 1 + k,
        mem: "bram",
        addr: k,
        data,
      }));
      const secondAt = lastRead + 2 + writes.length;
      return {
        scenario: {
          preload,
          writes,
          commands: [
            { at: 0, cmd },
            { at: secondAt, cmd },
          ],
          ready_percent: 100,
        },
        check: ({ expected }) => {
          const msgs: string[] = [];
          const mostPositive = BigInt(cols) * wMin * aMin;
          if (expected.results[0]![0]!.exact !== mostPositive) msgs.push(`golden: row 0 should be the most positive sum ${mostPositive}`);
          const narrow = p.acc_bits < p.weight_bits + p.act_bits - 1 + Math.ceil(Math.log2(cols + 1));
          const wrapped = expected.results.flat().some((x) => x.wrapped);
          if (narrow && !wrapped) msgs.push("golden: expected this accumulator width to wrap on these rows, but nothing wrapped");
          return msgs;
        },
      };
    },
  },
  {
    name: "gemv_roofline",
    description: `a GEMV of 16 rows × min(1024, BRAM capacity) columns within ${(ROOFLINE_SHARE * 100).toFixed(0)} % of the roofline (weight bytes / bank bytes per cycle; MACs / lanes when the lanes are the limit)`,
    make(rng, p, d) {
      const cols = Math.min(1024, p.max_cols);
      const cmd: GemvCommand = { w_base: 0, a_base: 0, rows: 16, cols };
      const g = randomGemv(rng, p, cmd);
      return {
        scenario: { preload: g.writes, writes: [], commands: [{ at: 0, cmd }], ready_percent: 100 },
        check: ({ run, expected }) => {
          const timing = expected.timing![0]!;
          const measured = (run.results[run.results.length - 1]?.cycle ?? Infinity) - (run.accept[0] ?? 0);
          const bandwidth = timing.cycles.roofline;
          const compute = (cmd.rows * cmd.cols) / d.per_cycle.bank_macs;
          const roof = Math.max(bandwidth, compute);
          const limit = roof / ROOFLINE_SHARE;
          return measured <= limit
            ? []
            : [`${measured} cycles is below ${(ROOFLINE_SHARE * 100).toFixed(0)} % of the roofline (${roof} cycles; limit ${limit.toFixed(1)})`];
        },
      };
    },
  },
  {
    name: "mac_and_write",
    description:
      "a GEMV while both write ports take a write every cycle (next weights + KV rows into BMEM, the next activations into BRAM): zero extra cycles, no corruption; a second GEMV then reads what was written",
    make(rng, p, d) {
      const cols = Math.min(Math.floor(p.max_cols / 2), p.lanes * 16);
      const beats = bramWordsPerRow(p, cols);
      const rows = 8;
      const cmd1: GemvCommand = { w_base: 0, a_base: 0, rows, cols };
      const region = rows * wordsPerRow(p, cols);
      const cmd2: GemvCommand = { w_base: region, a_base: beats, rows, cols };
      const g1 = randomGemv(rng, p, cmd1);
      const t1 = bankGemvSchedule(d, [{ at: 0, rows, cols }])[0]!;
      // Every cycle of cmd1's stream (reads at edges 1 .. stream): one BMEM and one BRAM write into
      // cmd2's region, cycling through it so the last pass leaves a full, fresh image.
      const writes: TimedWrite[] = [];
      for (let c = 0; c <= t1.cycles.stream; c++) {
        writes.push({ cycle: c, mem: "bmem", addr: cmd2.w_base + (c % region), data: randomWord(rng, p, "bmem") });
        writes.push({ cycle: c, mem: "bram", addr: cmd2.a_base + (c % beats), data: randomWord(rng, p, "bram") });
      }
      // Words the cycling did not reach (stream shorter than the region) are preloaded.
      const preload = [...g1.writes];
      const covered = (n: number) => Math.min(n, t1.cycles.stream + 1);
      for (let k = covered(region); k < region; k++) preload.push({ mem: "bmem", addr: cmd2.w_base + k, data: randomWord(rng, p, "bmem") });
      for (let k = covered(beats); k < beats; k++) preload.push({ mem: "bram", addr: cmd2.a_base + k, data: randomWord(rng, p, "bram") });
      const secondAt = t1.cycles.stream + 2;
      return {
        scenario: {
          preload,
          writes,
          commands: [
            { at: 0, cmd: cmd1 },
            { at: secondAt, cmd: cmd2 },
          ],
          ready_percent: 100,
        },
        report_command: 0,
        check: ({ expected, run }) => {
          const msgs: string[] = [];
          if (!sameDots(expected.results[0]!, gemvReference(g1.weights, g1.acts, p.acc_bits))) {
            msgs.push("golden: the writes should not change the first GEMV");
          }
          const alone = bankGemvCycles(d, rows, cols).total;
          const lastOfFirst = run.results[rows - 1]?.cycle;
          if (lastOfFirst !== undefined && run.accept[0] !== undefined && lastOfFirst - run.accept[0] !== alone) {
            msgs.push(`GEMV with writes took ${lastOfFirst - run.accept[0]} cycles, without writes the model says ${alone}: writes cost cycles`);
          }
          return msgs;
        },
      };
    },
  },
  {
    name: "read_during_write",
    description:
      "writes to the very BMEM and BRAM words a GEMV reads, at the edge it reads them: that read gets the OLD word (read-first), later reads the new one",
    make(rng, p, d) {
      const cols = Math.min(p.max_cols, p.weights_per_word * 3 + p.lanes);
      const rows = 6;
      const cmd: GemvCommand = { w_base: 2, a_base: 1, rows, cols };
      const g = randomGemv(rng, p, cmd);
      const t = bankGemvSchedule(d, [{ at: 0, rows, cols }])[0]!;
      const beats = gemvBeats(p, cmd);
      // Collide with the read of a few beats: same word, same edge.
      const picks = new Set<number>([0, 1, Math.floor(beats.length / 2), beats.length - 1]);
      const writes: TimedWrite[] = [];
      for (const j of [...picks].sort((a, b) => a - b)) {
        const b = beats[j]!;
        const edge = t.accept + 1 + j;
        writes.push({ cycle: edge, mem: "bmem", addr: b.bmem_addr, data: randomWord(rng, p, "bmem") });
        writes.push({ cycle: edge, mem: "bram", addr: b.bram_addr, data: randomWord(rng, p, "bram") });
      }
      return {
        scenario: { preload: g.writes, writes, commands: [{ at: 0, cmd }], ready_percent: 100 },
        check: writeFirstDiffers(p, cmd, t.accept),
      };
    },
  },
  {
    name: "back_to_back",
    description:
      "a queue of GEMVs of mixed shapes (1 column, fewer columns than lanes, one row, rows = 0, cols = 0): accepted without bubbles, results in order",
    make(rng, p) {
      const shapes: [number, number][] = [
        [3, 1],
        [4, Math.max(1, p.lanes - 1)],
        [1, p.weights_per_word * 2 + 1],
        [0, 5],
        [2, 0],
        [rng.int(2, 5), rng.int(1, Math.min(p.max_cols, 4 * p.weights_per_word))],
      ];
      let w = 0;
      const preload: MemWrite[] = [];
      const commands: TimedCommand[] = shapes.map(([rows, cols]) => {
        const cmd: GemvCommand = { w_base: w, a_base: rng.int(0, p.bram_depth - bramWordsPerRow(p, cols)), rows, cols };
        w += rows * Math.max(1, wordsPerRow(p, cols));
        return { at: 0, cmd };
      });
      // Activations: one vector per command would overwrite each other in BRAM; weights differ, so
      // share one BRAM image and give each command its own weights.
      const bramImage = Array.from({ length: p.bram_depth }, () => randomWord(rng, p, "bram"));
      bramImage.forEach((data, addr) => preload.push({ mem: "bram", addr, data }));
      for (const { cmd } of commands) {
        for (let k = 0; k < cmd.rows * Math.max(1, wordsPerRow(p, cmd.cols)); k++) {
          preload.push({ mem: "bmem", addr: cmd.w_base + k, data: randomWord(rng, p, "bmem") });
        }
      }
      return { scenario: { preload, writes: [], commands, ready_percent: 100 } };
    },
  },
  {
    name: "backpressure",
    description: "res_ready low 40 % of the cycles: the pipeline stalls, nothing is lost or duplicated (cycles not compared)",
    make(rng, p) {
      const cols = Math.min(p.max_cols, p.lanes * 5 + 3);
      const cmds: GemvCommand[] = [
        { w_base: 0, a_base: 0, rows: 9, cols },
        { w_base: 9 * wordsPerRow(p, cols), a_base: 0, rows: 4, cols: Math.max(1, Math.floor(p.lanes / 2)) },
      ];
      const weights = Array.from({ length: 9 }, () => randomVector(rng, cols, p.weight_bits));
      const acts = randomVector(rng, cols, p.act_bits);
      const preload = placeGemv(rng, p, cmds[0]!, weights, acts);
      const used = cmds[1]!.w_base + 4 * wordsPerRow(p, cmds[1]!.cols);
      for (let k = cmds[1]!.w_base; k < used; k++) preload.push({ mem: "bmem", addr: k, data: randomWord(rng, p, "bmem") });
      // Writes every cycle into words no command reads: while the pipeline stalls too, a write must
      // not disturb the read data the stalled stage holds.
      const bramFree = bramWordsPerRow(p, cols);
      const writes: TimedWrite[] = [];
      for (let c = 0; c < 300; c++) {
        writes.push({ cycle: c, mem: "bmem", addr: used + (c % 16), data: randomWord(rng, p, "bmem") });
        writes.push({ cycle: c, mem: "bram", addr: bramFree + (c % (p.bram_depth - bramFree)), data: randomWord(rng, p, "bram") });
      }
      return { scenario: { preload, writes, commands: cmds.map((cmd) => ({ at: 0, cmd })), ready_percent: 60 } };
    },
  },
  // ---- KV mode (cmd_kv = 1: rows of kv_bits fields) ----------------------------------------------
  {
    name: "kv_random",
    description:
      "KV-mode GEMVs (cmd_kv = 1, rows of kv_bits fields), back to back: one whose rows end with a single column (a beat of one BMEM word), one of random length; bit-exact and cycle-exact",
    make(rng, p) {
      const cols1 = Math.min(p.max_cols, p.lanes * rng.int(3, 8) + 1);
      const cols2 = Math.min(p.max_cols, rng.int(p.lanes * 3 + 1, Math.max(p.lanes * 3 + 1, Math.floor(p.max_cols / 2))));
      const cols = Math.max(cols1, cols2);
      const a_base = rng.int(0, p.bram_depth - bramWordsPerRow(p, cols));
      const cmd1: GemvCommand = { w_base: rng.int(0, 7), a_base, rows: rng.int(5, 12), cols: cols1, kv: true };
      const cmd2: GemvCommand = { w_base: cmd1.w_base + cmd1.rows * wordsPerRow(p, cols1, true), a_base, rows: rng.int(3, 8), cols: cols2, kv: true };
      const acts = randomVector(rng, cols, p.act_bits);
      const w1 = Array.from({ length: cmd1.rows }, () => randomVector(rng, cols1, p.kv_bits));
      const w2 = Array.from({ length: cmd2.rows }, () => randomVector(rng, cols2, p.kv_bits));
      const preload = [...placeGemv(rng, p, cmd2, w2, acts), ...placeGemv(rng, p, cmd1, w1, []).filter((w) => w.mem === "bmem")];
      const at = rng.int(0, 3);
      return {
        scenario: { preload, writes: [], commands: [{ at, cmd: cmd1 }, { at, cmd: cmd2 }], ready_percent: 100 },
        check: ({ expected }) =>
          sameDots(expected.results[0]!, gemvReference(w1, acts.slice(0, cols1), p.acc_bits)) &&
          sameDots(expected.results[1]!, gemvReference(w2, acts, p.acc_bits))
            ? []
            : ["golden bank model (KV mode) disagrees with the plain matrix reference (layout helpers)"],
      };
    },
  },
  {
    name: "kv_extremes",
    description:
      "KV mode: most negative / most positive KV fields against full-scale negative and positive activations, rows as long as BRAM holds: the largest sums, and the accumulator's wrap-around where it is narrow enough",
    make(rng, p, d) {
      // As long as BRAM and BMEM (6 rows) hold.
      const cols = Math.min(p.max_cols, Math.floor(p.bmem_depth / 6) * p.kv_per_word);
      const kMin = minOf(p.kv_bits);
      const aMin = minOf(p.act_bits);
      const aMax = maxOf(p.act_bits);
      const weights = extremeRows(rng, p.kv_bits, cols);
      const rows = weights.length;
      const cmd: GemvCommand = { w_base: 0, a_base: 0, rows, cols, kv: true };
      const negActs = Array.from({ length: cols }, () => aMin);
      const posActs = Array.from({ length: cols }, () => aMax);
      // Padding fields most negative too: masked lanes must not count whatever they hold.
      const wpr = wordsPerRow(p, cols, true);
      const preload: MemWrite[] = [
        ...weights.flatMap((row, r) => packWeightRow(p, row, () => kMin, true).map((data, k): MemWrite => ({ mem: "bmem", addr: r * wpr + k, data }))),
        ...packActivations(p, negActs, () => aMin).map((data, k): MemWrite => ({ mem: "bram", addr: k, data })),
      ];
      const first = bankGemvSchedule(d, [arrival(0, cmd)])[0]!;
      const lastRead = first.accept + first.cycles.stream;
      const writes: TimedWrite[] = packActivations(p, posActs, () => aMin).map((data, k) => ({ cycle: lastRead + 1 + k, mem: "bram", addr: k, data }));
      const secondAt = lastRead + 2 + writes.length;
      return {
        scenario: { preload, writes, commands: [{ at: 0, cmd }, { at: secondAt, cmd }], ready_percent: 100 },
        check: ({ expected }) => {
          const msgs: string[] = [];
          const mostPositive = BigInt(cols) * kMin * aMin;
          if (expected.results[0]![0]!.exact !== mostPositive) msgs.push(`golden: row 0 should be the most positive sum ${mostPositive}`);
          if (expected.results[1]![0]!.exact !== BigInt(cols) * kMin * aMax) msgs.push("golden: row 0 of the second command should be the most negative sum");
          const narrow = p.acc_bits < p.kv_bits + p.act_bits - 1 + Math.ceil(Math.log2(cols + 1));
          const wrapped = expected.results.flat().some((x) => x.wrapped);
          if (narrow && !wrapped) msgs.push("golden: expected this accumulator width to wrap on these rows, but nothing wrapped");
          if (!sameDots(expected.results[0]!, gemvReference(weights, negActs, p.acc_bits))) msgs.push("golden: disagrees with the plain matrix reference");
          return msgs;
        },
      };
    },
  },
  {
    name: "kv_roofline",
    description: `a KV-mode GEMV of 16 rows (fewer when BMEM holds fewer) × min(1024, BRAM capacity) columns within ${(ROOFLINE_SHARE * 100).toFixed(0)} % of the roofline (KV bytes / bank bytes per cycle; MACs / lanes when the lanes are the limit)`,
    make(rng, p, d) {
      const cols = Math.min(1024, p.max_cols);
      const rows = Math.min(16, Math.floor(p.bmem_depth / wordsPerRow(p, cols, true)));
      const cmd: GemvCommand = { w_base: 0, a_base: 0, rows, cols, kv: true };
      const g = randomGemv(rng, p, cmd);
      return {
        scenario: { preload: g.writes, writes: [], commands: [{ at: 0, cmd }], ready_percent: 100 },
        check: ({ run, expected }) => {
          const timing = expected.timing![0]!;
          const measured = (run.results[run.results.length - 1]?.cycle ?? Infinity) - (run.accept[0] ?? 0);
          const bandwidth = timing.cycles.roofline;
          const compute = (cmd.rows * cmd.cols) / d.per_cycle.bank_macs;
          const roof = Math.max(bandwidth, compute);
          const limit = roof / ROOFLINE_SHARE;
          return measured <= limit
            ? []
            : [`${measured} cycles is below ${(ROOFLINE_SHARE * 100).toFixed(0)} % of the KV roofline (${roof} cycles; limit ${limit.toFixed(1)})`];
        },
      };
    },
  },
  {
    name: "mixed_weight_kv",
    description:
      "a mixed program queued at once: weight GEMV, KV GEMV (rows at a pitch longer than their words), KV GEMV, weight GEMV, KV GEMV of other shapes (1 column, cols = 0, rows = 0 among them): each switch of mode without a bubble, results in order, bit-exact, cycle-exact",
    make(rng, p) {
      const kvCols = (n: number) => Math.min(p.max_cols, n);
      const shapes: [number, number, boolean][] = [
        [rng.int(3, 6), kvCols(rng.int(p.lanes + 1, 6 * p.lanes)), false],
        [rng.int(3, 6), kvCols(rng.int(p.lanes + 1, 6 * p.lanes)), true],
        [2, 1, true],
        [rng.int(2, 4), kvCols(p.kv_per_word * 2 + 1), false],
        [0, 5, true],
        [2, 0, true],
        [rng.int(2, 5), kvCols(rng.int(1, 4 * p.weights_per_word)), true],
      ];
      const maxCols = Math.max(...shapes.map(([, c]) => c));
      const a_base = rng.int(0, p.bram_depth - bramWordsPerRow(p, maxCols));
      const acts = randomVector(rng, maxCols, p.act_bits);
      const preload: MemWrite[] = packActivations(p, acts, () => rng.signed(p.act_bits)).map((data, k) => ({ mem: "bram", addr: a_base + k, data }));
      let w = 0;
      const mats: bigint[][][] = [];
      const commands: TimedCommand[] = shapes.map(([rows, cols, kv], i) => {
        // The first KV GEMV reads rows reserved longer than its columns (cmd_pitch).
        const pitch = i === 1 ? wordsPerRow(p, cols, kv) + rng.int(1, 3) : 0;
        const cmd: GemvCommand = { w_base: w, a_base, rows, cols, kv, pitch };
        const m = Array.from({ length: rows }, () => randomVector(rng, cols, fieldBits(p, kv)));
        mats.push(m);
        if (cols > 0) preload.push(...placeGemv(rng, p, cmd, m, []).filter((x) => x.mem === "bmem"));
        w += rows * Math.max(1, pitch || wordsPerRow(p, cols, kv));
        return { at: 0, cmd };
      });
      return {
        scenario: { preload, writes: [], commands, ready_percent: 100 },
        check: ({ expected }) =>
          commands.every(({ cmd }, i) => sameDots(expected.results[i]!, gemvReference(mats[i]!, acts.slice(0, cmd.cols), p.acc_bits)))
            ? []
            : ["golden bank model disagrees with the plain matrix reference on the mixed program"],
      };
    },
  },
  {
    name: "kv_read_during_write",
    description:
      "KV mode: writes to the very BMEM and BRAM words a GEMV reads, at the edge it reads them (the first and the last word of a beat that spans several, the BRAM word with the last): those reads get the OLD word (read-first)",
    make(rng, p, d) {
      const cols = Math.min(p.max_cols, p.lanes * 3 + 1);
      const rows = 5;
      const cmd: GemvCommand = { w_base: 3, a_base: 1, rows, cols, kv: true };
      const g = randomGemv(rng, p, cmd);
      const t = bankGemvSchedule(d, [arrival(0, cmd)])[0]!;
      const beats = gemvBeats(p, cmd);
      const picks = new Set<number>([0, 1, Math.floor(beats.length / 2), beats.length - 1]);
      const writes: TimedWrite[] = [];
      for (const j of [...picks].sort((a, b) => a - b)) {
        const b = beats[j]!;
        const first = t.accept + 1 + b.slot;
        const lastWord = first + b.bmem_words - 1;
        writes.push({ cycle: first, mem: "bmem", addr: b.bmem_addr, data: randomWord(rng, p, "bmem") });
        if (b.bmem_words > 1) writes.push({ cycle: lastWord, mem: "bmem", addr: b.bmem_addr + b.bmem_words - 1, data: randomWord(rng, p, "bmem") });
        writes.push({ cycle: lastWord, mem: "bram", addr: b.bram_addr, data: randomWord(rng, p, "bram") });
      }
      return {
        scenario: { preload: g.writes, writes, commands: [{ at: 0, cmd }], ready_percent: 100 },
        check: writeFirstDiffers(p, cmd, t.accept),
      };
    },
  },
  {
    name: "kv_backpressure",
    description:
      "KV mode with res_ready low 40 % of the cycles, a weight GEMV between two KV GEMVs: the pipeline (and the words of a beat held while it stalls) loses and duplicates nothing (cycles not compared)",
    make(rng, p) {
      const cols = Math.min(p.max_cols, p.lanes * 5 + 3);
      const small = Math.max(1, Math.floor(p.lanes / 2));
      const cmds: GemvCommand[] = [{ w_base: 0, a_base: 0, rows: 9, cols, kv: true }];
      cmds.push({ w_base: 9 * wordsPerRow(p, cols, true), a_base: 0, rows: 3, cols, kv: false });
      cmds.push({ w_base: cmds[1]!.w_base + 3 * wordsPerRow(p, cols), a_base: 0, rows: 4, cols: small, kv: true });
      const acts = randomVector(rng, cols, p.act_bits);
      const preload: MemWrite[] = packActivations(p, acts, () => rng.signed(p.act_bits)).map((data, k) => ({ mem: "bram", addr: k, data }));
      for (const cmd of cmds) {
        const m = Array.from({ length: cmd.rows }, () => randomVector(rng, cmd.cols, fieldBits(p, cmd.kv ?? false)));
        preload.push(...placeGemv(rng, p, cmd, m, []).filter((x) => x.mem === "bmem"));
      }
      const used = cmds[2]!.w_base + 4 * wordsPerRow(p, small, true);
      const bramFree = bramWordsPerRow(p, cols);
      const writes: TimedWrite[] = [];
      for (let c = 0; c < 300; c++) {
        writes.push({ cycle: c, mem: "bmem", addr: used + (c % 16), data: randomWord(rng, p, "bmem") });
        writes.push({ cycle: c, mem: "bram", addr: bramFree + (c % (p.bram_depth - bramFree)), data: randomWord(rng, p, "bram") });
      }
      return { scenario: { preload, writes, commands: cmds.map((cmd) => ({ at: 0, cmd })), ready_percent: 60 } };
    },
  },
  // ---- GEMM (cmd_batch = B: prefill's batch tiling) -------------------------------------------------
  {
    name: "gemm_random",
    description:
      "a GEMM of B = the bank's most vectors (cmd_batch, vectors a stride apart in BRAM) queued with a GEMV and a KV GEMV that carry a cmd_batch too (a GEMV takes it as 1, KV mode ignores it): row-major results equal to the plain matrix products, every result at the edge the model says",
    make(rng, p) {
      const batch = p.batch;
      const g = randomGemm(rng, p, { w_base: 0, rows: rng.int(3, 7), batch, cols: rng.int(p.lanes + 1, p.lanes * 4 + 1), gap: rng.int(0, 2) });
      const gemvCols = Math.min(p.max_cols, p.lanes * 2 + 1);
      const gemv: GemvCommand = { w_base: g.cmd.rows * wordsPerRow(p, g.cmd.cols), a_base: 0, rows: 3, cols: gemvCols, batch: 0, a_stride: 1 };
      const kv: GemvCommand = { w_base: gemv.w_base + 3 * wordsPerRow(p, gemvCols), a_base: 0, rows: 2, cols: gemvCols, kv: true, batch, a_stride: 1 };
      const preload = [...g.writes];
      for (const cmd of [gemv, kv]) {
        const m = Array.from({ length: cmd.rows }, () => randomVector(rng, cmd.cols, fieldBits(p, cmd.kv ?? false)));
        preload.push(...placeGemv(rng, p, cmd, m, []).filter((x) => x.mem === "bmem"));
      }
      // The GEMV and the KV GEMV read BRAM from word 0: the GEMM's vectors may be there, any data will do.
      const covered = new Set(preload.filter((w) => w.mem === "bram").map((w) => w.addr));
      for (let k = 0; k < bramWordsPerRow(p, gemvCols); k++) if (!covered.has(k)) preload.push({ mem: "bram", addr: k, data: randomWord(rng, p, "bram") });
      return {
        scenario: { preload, writes: [], commands: [g.cmd, gemv, kv].map((cmd) => ({ at: 0, cmd })), ready_percent: 100 },
        report_command: 0,
        check: (c) => [
          ...(sameDots(c.expected.results[0]!, gemmReference(g.weights, g.vectors, p.acc_bits))
            ? []
            : ["golden bank model's GEMM disagrees with the plain matrix products (layout helpers)"]),
          ...(batchOf(gemv) === 1 && batchOf(kv) === 1 ? [] : ["test: cmd_batch 0 and KV mode must be one vector"]),
          ...resultEdgesAsModelled(c),
        ],
      };
    },
  },
  {
    name: "gemm_held_weights",
    description:
      "a GEMM whose first weight word is overwritten at the edge of its first read: every vector of the tile gets the old weights (read once, held for the tile), which differ from what a re-read would give",
    make(rng, p, d) {
      const g = randomGemm(rng, p, { w_base: 0, rows: 3, batch: p.batch, cols: p.lanes * 2 + 1, gap: 0 });
      const accept = bankGemvSchedule(d, [arrival(0, g.cmd)])[0]!.accept;
      const writes: TimedWrite[] = [{ cycle: accept + 1, mem: "bmem", addr: 0, data: randomWord(rng, p, "bmem") }];
      return {
        scenario: { preload: g.writes, writes, commands: [{ at: 0, cmd: g.cmd }], ready_percent: 100 },
        check: ({ scenario, expected }) => {
          if (p.batch < 2) return []; // one accumulator: no tile to hold the weights for
          // A re-read for vector 1 would come one edge later and see the new word.
          const reread = bankGemv(p, applyMemories(p, scenario), g.cmd, () => Number.MAX_SAFE_INTEGER);
          const held = expected.results[0]!;
          const msgs: string[] = [];
          // With one beat per word no later read touches word 0, so every vector sees the preloaded
          // weights; with more, the word's next beat reads it again (after the write) for all vectors.
          if (p.beats_per_word === 1 && !sameDots(held, gemmReference(g.weights, g.vectors, p.acc_bits))) {
            msgs.push("golden: the held weights should be the preloaded ones");
          }
          if (held[1]!.value === reread[1]!.value) msgs.push("golden: a re-read gives the same row 0 for vector 1 here, so the test shows nothing; pick other words");
          return msgs;
        },
      };
    },
  },
  {
    name: "gemm_backpressure",
    description: "a GEMM with res_ready low 40 % of the cycles: the held weights and the B accumulators survive the stalls, nothing lost or duplicated (cycles not compared)",
    make(rng, p) {
      const g = randomGemm(rng, p, { w_base: 0, rows: 6, batch: p.batch, cols: p.lanes * 3 + 1, gap: 1 });
      return { scenario: { preload: g.writes, writes: [], commands: [{ at: 0, cmd: g.cmd }], ready_percent: 60 } };
    },
  },
];

// ---- golden expectation ------------------------------------------------------------------------

function applyMemories(p: BankParams, s: BankScenario): BankMemories {
  const mem = bankMemories(p);
  for (const w of s.preload) mem[w.mem].preload(w.addr, w.data);
  for (const w of s.writes) mem[w.mem].write(w.cycle, w.addr, w.data);
  return mem;
}

export function expectBank(p: BankParams, d: Derived, s: BankScenario): BankExpectation {
  const mem = applyMemories(p, s);
  if (s.ready_percent >= 100) {
    const timing = bankGemvSchedule(
      d,
      s.commands.map((c) => arrival(c.at, c.cmd)),
    );
    const results = s.commands.map((c, i) => bankGemv(p, mem, c.cmd, (j) => timing[i]!.accept + 1 + j));
    return { results, timing };
  }
  // With stalls the read edges are not known: timed writes must stay off every word a command reads.
  const read = { bmem: new Set<number>(), bram: new Set<number>() };
  for (const c of s.commands) {
    for (const b of gemvBeats(p, c.cmd)) {
      for (let k = 0; k < b.bmem_words; k++) read.bmem.add(b.bmem_addr + k);
      read.bram.add(b.bram_addr);
    }
  }
  const clash = s.writes.find((w) => read[w.mem].has(w.addr));
  if (clash) throw new Error(`bank test: with res_ready < 100 % a timed write may not touch a word a GEMV reads (${clash.mem} ${clash.addr})`);
  return { results: s.commands.map((c) => bankGemv(p, mem, c.cmd, () => Number.MAX_SAFE_INTEGER)), timing: null };
}

// ---- stimulus file and testbench output ----------------------------------------------------------

export function stimulusText(s: BankScenario, readySeed: number, limit: number): string {
  const lines: string[] = [`ready ${s.ready_percent} ${readySeed}`];
  for (const w of s.preload) lines.push(`load ${w.mem === "bmem" ? "b" : "a"} ${w.addr} ${w.data.toString(16)}`);
  if (s.reset_writes) lines.push("reset_writes");
  const events: [number, string][] = [
    ...s.commands.map((c): [number, string] => [c.at, `cmd ${c.cmd.w_base} ${c.cmd.a_base} ${c.cmd.rows} ${c.cmd.cols} ${c.cmd.kv ? 1 : 0} ${c.cmd.pitch ?? 0} ${c.cmd.batch ?? 1} ${c.cmd.a_stride ?? 0} ${c.cmd.a_slice ?? 0}`]),
    ...s.writes.map((w): [number, string] => [w.cycle, `${w.mem === "bmem" ? "wb" : "wa"} ${w.addr} ${w.data.toString(16)}`]),
  ];
  // Stable order: by cycle, commands before writes as listed (the testbench keeps file order).
  events.sort((a, b) => a[0] - b[0]);
  for (const [c, e] of events) lines.push(`at ${c} ${e}`);
  lines.push(`expect ${s.commands.reduce((n, c) => n + c.cmd.rows * batchOf(c.cmd), 0)}`);
  lines.push(`limit ${limit}`);
  return lines.join("\n") + "\n";
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function parseBankRun(stdout: string): BankRun {
  const line = stdout.trim().split("\n").pop() ?? "";
  const raw: unknown = JSON.parse(line);
  if (!isRecord(raw) || !Array.isArray(raw["accept"]) || !Array.isArray(raw["results"])) {
    throw new Error(`bank testbench: unexpected output: ${line.slice(0, 200)}`);
  }
  const results = raw["results"].map((r: unknown) => {
    if (!isRecord(r) || typeof r["cycle"] !== "number" || typeof r["data"] !== "string") throw new Error("bank testbench: bad result entry");
    return { cycle: r["cycle"], data: BigInt(`0x${r["data"]}`) };
  });
  const num = (k: string): number => {
    const v = raw[k];
    if (typeof v !== "number") throw new Error(`bank testbench: missing ${k}`);
    return v;
  };
  return {
    accept: raw["accept"].map((a: unknown) => Number(a)),
    results,
    extra_results: num("extra_results"),
    pending_commands: num("pending_commands"),
    timeout: raw["timeout"] === true,
    cycles: num("cycles"),
    ticks: num("ticks"),
    wall_s: num("wall_s"),
  };
}

// ---- checking ------------------------------------------------------------------------------------

/** Common checks: everything delivered, bit-exact, and (res_ready always high) cycles as the model says. */
export function checkBankRun(c: CheckContext): string[] {
  const { p, scenario, expected, run } = c;
  const msgs: string[] = [];
  const want = expected.results.flat();
  if (run.timeout) msgs.push(`timed out after ${run.cycles} cycles`);
  if (run.pending_commands > 0) msgs.push(`${run.pending_commands} commands never accepted`);
  if (run.accept.length !== scenario.commands.length) msgs.push(`${run.accept.length} commands accepted, expected ${scenario.commands.length}`);
  if (run.extra_results > 0) msgs.push(`${run.extra_results} results more than the ${want.length} expected`);
  if (run.results.length !== want.length) msgs.push(`${run.results.length} results, expected ${want.length}`);
  let bad = 0;
  run.results.forEach((r, i) => {
    const w = want[i];
    if (!w) return;
    const got = BigInt.asIntN(p.acc_bits, r.data);
    if (got !== w.value && bad++ < 5) msgs.push(`result ${i}: got ${got}, golden ${w.value}${w.wrapped ? ` (exact ${w.exact}, wrapped)` : ""}`);
  });
  if (bad > 5) msgs.push(`... ${bad} wrong results in all`);
  if (expected.timing) {
    let row = 0;
    expected.timing.forEach((t, i) => {
      const accept = run.accept[i];
      const rows = t.results.length;
      if (rows > 0 && accept !== undefined) {
        const last = run.results[row + rows - 1];
        if (last) {
          const measured = last.cycle - accept;
          const model = t.cycles.total;
          if (!cyclesWithinTolerance(measured, model)) {
            msgs.push(`command ${i} (${rows}×${t.cycles.cols}${scenario.commands[i]?.cmd.kv ? ", kv" : ""}): ${measured} cycles, the model says ${model} (more than ${CYCLE_TOLERANCE * 100} % apart)`);
          }
        }
      }
      if (accept !== undefined && accept !== t.accept) msgs.push(`command ${i} accepted at edge ${accept}, the model says ${t.accept}`);
      row += rows;
    });
  }
  return msgs;
}

function reportCycles(expected: BankExpectation, run: BankRun, which: number | undefined): { measured: number; model: number } | null {
  const timing = expected.timing;
  if (!timing || timing.length === 0) return null;
  const rowsBefore = (i: number) => timing.slice(0, i).reduce((n, t) => n + t.results.length, 0);
  if (which !== undefined) {
    const t = timing[which]!;
    const last = run.results[rowsBefore(which) + t.results.length - 1];
    const accept = run.accept[which];
    if (!last || accept === undefined) return null;
    return { measured: last.cycle - accept, model: t.done - t.accept };
  }
  const first = run.accept[0];
  const last = run.results[run.results.length - 1];
  const done = Math.max(...timing.map((t) => t.done));
  if (first === undefined || !last) return null;
  return { measured: last.cycle - first, model: done - timing[0]!.accept };
}

// ---- building and running ----------------------------------------------------------------------

/** The Verilator build of a spec's bank: its RTL modules and the C++ testbench. */
export function bankBuild(loaded: LoadedSpec, trace = false): VerilatorBuild {
  const p = bankParams(loaded);
  const sources: Record<string, string> = {};
  for (const m of rtlModules(loaded)) {
    if ([`${p.name}_bank`, `${p.name}_dpram`, `${p.name}_dpram_be`, `${p.name}_mac_array`].includes(m.module)) {
      sources[`${m.module}.v`] = m.text;
    }
  }
  const tb = bankTestbench(p);
  sources[tb.file.split("/").pop()!] = tb.text;
  return { name: `${p.name}_bank`, top: `${p.name}_bank`, sources, trace };
}

export interface BankSuiteOptions {
  seed: number;
  verilatorSeeds?: readonly number[];
  /** Run only tests whose name matches. */
  only?: RegExp;
  timeoutMs?: number;
  /** Write the first seed's run as a VCD here (needs a build with trace). */
  tracePath?: string;
}

export interface BankSuite {
  spec: string;
  build: BuiltModel;
  build_ms: number;
  results: SimTestResult[];
}

export async function runBankTest(
  model: BuiltModel,
  loaded: LoadedSpec,
  def: BankTestDef,
  opts: BankSuiteOptions,
): Promise<SimTestResult> {
  const p = bankParams(loaded);
  const d = loaded.derived;
  const rng = prng(opts.seed).fork(`${loaded.spec.name}/${def.name}`);
  const messages: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), "pim-gen-bank-"));
  try {
    const c = def.make(rng, p, d);
    const expected = expectBank(p, d, c.scenario);
    const budget = expected.timing
      ? Math.max(...expected.timing.map((t) => t.done)) + 1000
      : 20 * (c.scenario.commands.reduce((n, x) => n + bankGemvCycles(d, x.cmd.rows, x.cmd.cols, { kv: x.cmd.kv ?? false }).total, 0) + 1000);
    const stim = join(dir, "stimulus.txt");
    writeFileSync(stim, stimulusText(c.scenario, (rng.u32() | 1) >>> 0, budget));
    let ticks = 0;
    let wall = 0;
    let reported: { measured: number; model: number } | null = null;
    let firstOut: string | undefined;
    for (const vseed of opts.verilatorSeeds ?? VERILATOR_SEEDS) {
      const trace = opts.tracePath && vseed === (opts.verilatorSeeds ?? VERILATOR_SEEDS)[0] ? [`+trace+${opts.tracePath}`] : [];
      const out = await runVerilated(model, [stim, `+verilator+seed+${vseed}`, "+verilator+rand+reset+2", ...trace], {
        timeoutMs: opts.timeoutMs ?? 120_000,
      });
      const run = parseBankRun(out);
      ticks += run.ticks;
      wall += run.wall_s;
      const ctx: CheckContext = { p, d, scenario: c.scenario, expected, run };
      const msgs = [...checkBankRun(ctx), ...(c.check ? c.check(ctx) : [])];
      for (const m of msgs) messages.push(`+verilator+seed+${vseed}: ${m}`);
      const normalised = JSON.stringify({ ...run, wall_s: 0 }, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
      if (firstOut === undefined) firstOut = normalised;
      else if (normalised !== firstOut) messages.push(`+verilator+seed+${vseed}: output differs from the first seed's: it depends on uninitialised state`);
      reported ??= reportCycles(expected, run, c.report_command);
    }
    return {
      name: def.name,
      passed: messages.length === 0,
      seed: opts.seed,
      cycles: reported,
      sim_cycles_per_s: wall > 0 ? ticks / wall : null,
      messages,
    };
  } catch (e) {
    messages.push(e instanceof Error ? e.message : String(e));
    return { name: def.name, passed: false, seed: opts.seed, cycles: null, sim_cycles_per_s: null, messages };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Build the bank of `loaded` (cached) and run every bank test on it. */
export async function runBankSuite(loaded: LoadedSpec, opts: BankSuiteOptions): Promise<BankSuite> {
  const t0 = Date.now();
  const build = await buildVerilated(bankBuild(loaded));
  const build_ms = Date.now() - t0;
  const results: SimTestResult[] = [];
  for (const def of BANK_TESTS) {
    if (opts.only && !opts.only.test(def.name)) continue;
    results.push(await runBankTest(build, loaded, def, opts));
  }
  return { spec: loaded.file, build, build_ms, results };
}

/** A failure message with what is needed to replay it. */
export function describeFailure(spec: string, r: SimTestResult): string {
  return `${spec}: ${r.name} failed (seed ${r.seed}; replay with --seed ${r.seed}):\n  ${r.messages.join("\n  ")}`;
}

/** The bank tests as `gen-rtl sim` runs them (sim/suite.ts): one check per test, named bank/<test>. */
export function bankSimTests(): SimTest[] {
  return BANK_TESTS.map((def) => ({
    name: `bank/${def.name}`,
    description: def.description,
    async run(ctx) {
      const model = await buildVerilated(bankBuild(ctx.loaded, ctx.trace));
      const tracePath = ctx.trace ? join(ctx.traceDir, `bank_${def.name}.vcd`) : undefined;
      const r = await runBankTest(model, ctx.loaded, def, { seed: ctx.seed, ...(tracePath ? { tracePath } : {}) });
      return [
        {
          name: `bank/${def.name}`,
          passed: r.passed,
          ...(r.cycles ? { cycles: r.cycles } : {}),
          ...(r.sim_cycles_per_s !== null ? { sim_cycles_per_s: r.sim_cycles_per_s } : {}),
          ...(r.passed ? {} : { detail: `seed ${r.seed}: ${r.messages.join("; ")}` }),
        },
      ];
    },
  }));
}
