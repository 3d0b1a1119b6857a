// The whole chip in Verilator: programs of instructions on the host interface, results bit-exact
// against the chip's golden model (sim/golden/chip.ts, built on the block golden models) and each
// instruction's measured cycles (accept edge to the next accept edge) against the chip cycle model
// (generator/model/cycles-chip.ts), never against the RTL. Every program runs with two
// +verilator+seed values and +verilator+rand+reset+2 and must give the same output both times.
//
//   chip/gemv   random weights into every bank (ld_bmem), a random vector into CMEM (wr_cmem),
//               bcast + gemv + gather, the result read back (rd_cmem): 16 rows per bank ×
//               min(1024, BRAM capacity) columns; the GEMV instruction within 95 % of the
//               bank-bandwidth roofline; the result also equals the plain matrix product,
//               requantised, in natural row order (the rows are placed in the banks in gather order)
//   chip/odd    columns not a multiple of the lanes, rows not a multiple of a bus word, an extreme
//               vector, a gather of some banks then of the rest
//   chip/packed GEMVs with element packing (gemv pack; the compiler's weight GEMVs) of rows that are
//               not whole bus words, so banks share words: gathered whole, the result equals the
//               plain matrix product with each die's banks back to back (packedOrderRow, a formula
//               of its own); and gathered as each die's lower banks, then the rest
//   chip/vop    every vector ALU op on CMEM (and CRAM) vectors, results read back
//   chip/stall  chip/odd's program with s_data and m_data stalling 30 % of the cycles: same data
//   chip/kv     the decode-step moves: half of each bank's rows from the host (ld_bmem), the rest
//               appended from CMEM (st_bmem); a vector to every BRAM, then each bank but the first
//               its own vector (bcast with a bank); gemv + gather; the gathered vector copied to
//               CRAM (cp_cram) and added to itself (vop add), and a host vector copied to CRAM and
//               added to another: bit-exact, every instruction's cycles as the model says
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gatherWords } from "../../generator/model/cycles-bus.js";
import { bankGemvCycles } from "../../generator/model/cycles.js";
import { instructionCycles, programCycles, type InstrCycles } from "../../generator/model/cycles-chip.js";
import { chipParams, encodeInstruction, type ChipParams, type Instruction } from "../../generator/rtl/chip.js";
import { CTRL_OPCODES } from "../../generator/rtl/ctrl_valu.js";
import { packFits } from "../../generator/compiler/weight-rows.js";
import { rtlModules } from "../../generator/rtl/index.js";
import type { LoadedSpec } from "../../generator/spec/load.js";
import { chipTestbench } from "../../generator/tb/chip_tb.js";
import { ChipModel, joinWords, packElements, splitWords, unpackElements } from "../golden/chip.js";
import { maxSigned, minSigned } from "../golden/ctrl_fixed.js";
import { requantise } from "../golden/interconnect.js";
import { packFields } from "../golden/mac.js";
import { buildVerilated, runVerilated, type BuiltModel, type VerilatorBuild } from "../harness/verilator.js";
import { prng, type Prng } from "../prng.js";
import { CYCLE_TOLERANCE, cyclesWithinTolerance, type SimCheck, type SimContext, type SimTest } from "../suite.js";

/** +verilator+seed values every program runs with. */
export const CHIP_VERILATOR_SEEDS: readonly number[] = [1, 7919];
/** The GEMV instruction must reach this share of the bank-bandwidth roofline. */
export const CHIP_ROOFLINE_SHARE = 0.95;

export interface ChipProgram {
  instrs: Instruction[];
  /** s_data words, in the order the instructions consume them. */
  data: bigint[];
  /** Percent of cycles s_data / m_data stall (0: cycle checks). */
  stall: number;
}

export interface ChipRun {
  accept: number[];
  out: { cycle: number; data: bigint; last: boolean }[];
  data_taken: number;
  timeout: boolean;
  cycles: number;
  wall_s: number;
}

// ---- building and running ----------------------------------------------------------------------

export function chipBuild(loaded: LoadedSpec, trace = false): VerilatorBuild {
  const p = chipParams(loaded);
  const sources: Record<string, string> = {};
  for (const m of rtlModules(loaded)) sources[`${m.module}.v`] = m.text;
  // Every generated module (the chip uses all of them).
  sources["chip_tb.cpp"] = chipTestbench(p).text;
  // PIM_GEN_PRELOAD: the BMEM back door (+bmem_preload=DIR; {name}_dpram_be), used by the RTL engine on request.
  return { name: `${p.name}_chip`, top: `${p.name}_chip`, sources, defines: ["PIM_GEN_PRELOAD"], ...(trace ? { trace } : {}) };
}

const hex = (v: bigint): string => v.toString(16);

export function chipStimulus(p: ChipParams, prog: ChipProgram, seed: number, limit: number): string {
  const lines = [`stall ${prog.stall} ${seed}`, `limit ${limit}`];
  for (const i of prog.instrs) lines.push(`cmd ${hex(encodeInstruction(p, i))}`);
  for (const d of prog.data) lines.push(`data ${hex(d)}`);
  return lines.join("\n") + "\n";
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function parseChipRun(stdout: string): ChipRun {
  const line = stdout.trim().split("\n").pop() ?? "";
  const raw: unknown = JSON.parse(line);
  if (!isRecord(raw) || !Array.isArray(raw["accept"]) || !Array.isArray(raw["out"])) throw new Error(`chip testbench: unexpected output: ${line.slice(0, 200)}`);
  return {
    accept: raw["accept"].map((a: unknown) => Number(a)),
    out: raw["out"].map((o: unknown) => {
      if (!isRecord(o) || typeof o["data"] !== "string") throw new Error("chip testbench: bad out entry");
      return { cycle: Number(o["cycle"]), data: BigInt(`0x${o["data"]}`), last: o["last"] === true };
    }),
    data_taken: Number(raw["data_taken"]),
    timeout: raw["timeout"] === true,
    cycles: Number(raw["cycles"]),
    wall_s: Number(raw["wall_s"]),
  };
}

export interface ProgramResult {
  run: ChipRun;
  expectedOut: { data: bigint; last: boolean }[];
  model: InstrCycles[];
  /** Measured cycles per instruction (all but the last, a nop that marks the end). */
  measured: number[];
  messages: string[];
  sim_cycles_per_s: number | undefined;
}

/** Run a program (ending with a nop) with every Verilator seed; compare data with the golden model. */
export async function runProgram(model: BuiltModel, loaded: LoadedSpec, prog: ChipProgram, ctx: Pick<SimContext, "seed" | "trace" | "traceDir">, label: string): Promise<ProgramResult> {
  const p = chipParams(loaded);
  const golden = new ChipModel(p);
  golden.send(prog.data);
  for (const i of prog.instrs) golden.run(i);
  const expectedOut = golden.hostOut;
  const cyclesModel = programCycles(p, loaded.derived, prog.instrs);
  const budget = 20 * cyclesModel.reduce((s, c) => s + c.cycles, 0) + 10_000;
  const dir = mkdtempSync(join(tmpdir(), "pim-gen-chip-"));
  const messages: string[] = [];
  let first: ChipRun | undefined;
  let ticks = 0;
  let wall = 0;
  try {
    const stim = join(dir, "stimulus.txt");
    writeFileSync(stim, chipStimulus(p, prog, (ctx.seed * 2654435761) >>> 0 || 1, budget));
    for (const vseed of CHIP_VERILATOR_SEEDS) {
      const traceArgs = ctx.trace && vseed === CHIP_VERILATOR_SEEDS[0] ? [`+trace+${join(ctx.traceDir, `${label}.vcd`)}`] : [];
      const out = parseChipRun(await runVerilated(model, [stim, `+verilator+seed+${vseed}`, "+verilator+rand+reset+2", ...traceArgs], { timeoutMs: 300_000 }));
      ticks += out.cycles;
      wall += out.wall_s;
      if (!first) {
        first = out;
        continue;
      }
      const norm = (r: ChipRun) => JSON.stringify({ a: r.accept, o: r.out.map((o) => [o.cycle, hex(o.data), o.last]), d: r.data_taken, t: r.timeout });
      if (norm(out) !== norm(first)) messages.push(`+verilator+seed+${vseed}: output differs from +verilator+seed+${CHIP_VERILATOR_SEEDS[0]}'s: it depends on uninitialised state`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const run = first!;
  if (run.timeout) messages.push(`timed out after ${budget} cycles (${run.accept.length} of ${prog.instrs.length} instructions accepted)`);
  if (run.accept.length !== prog.instrs.length) messages.push(`${run.accept.length} of ${prog.instrs.length} instructions accepted`);
  if (run.data_taken !== prog.data.length) messages.push(`${run.data_taken} of ${prog.data.length} s_data words taken`);
  if (run.out.length !== expectedOut.length) messages.push(`${run.out.length} m_data words, the golden model sends ${expectedOut.length}`);
  let bad = 0;
  run.out.forEach((o, i) => {
    const e = expectedOut[i];
    if (!e) return;
    if ((o.data !== e.data || o.last !== e.last) && bad++ < 4) {
      messages.push(`m_data word ${i}: got ${hex(o.data)}${o.last ? " (last)" : ""}, golden ${hex(e.data)}${e.last ? " (last)" : ""}`);
    }
  });
  if (bad > 4) messages.push(`... ${bad} m_data words differ in all`);
  const measured = run.accept.slice(1).map((a, i) => a - run.accept[i]!);
  return { run, expectedOut, model: cyclesModel, measured, messages, sim_cycles_per_s: wall > 0 ? ticks / wall : undefined };
}

// ---- programs ----------------------------------------------------------------------------------

/** Host words holding `bits` of a bit stream (the last zero-padded). */
function hostWords(p: ChipParams, stream: bigint, bits: number): bigint[] {
  return splitWords(stream, p.host_bits, Math.ceil(bits / p.host_bits));
}

/** CMEM words a gather of the masked banks writes after a GEMV of `rows` rows: their link words, compacted. */
function gatheredWords(p: ChipParams, rows: number, mask: bigint, pack = false): number {
  const on = Array.from({ length: p.banks }, (_, k) => ((mask >> BigInt(k)) & 1n) === 1n);
  const words = gatherWords(p.bus, Array.from({ length: p.banks }, () => rows), on, pack).reduce((s, w) => s + w, 0);
  return Math.ceil((words * p.bus.link_bits) / p.host_bits);
}

/** CMEM words a gather of every bank writes after a GEMV of `rows` rows. */
function gatheredWordsOf(p: ChipParams, rows: number): number {
  return gatheredWords(p, rows, (1n << BigInt(p.banks)) - 1n);
}

/** One bank's weights (rows × cols) as its BMEM image: rows padded to whole words with random weights. */
function bmemImage(p: ChipParams, rows: readonly (readonly bigint[])[], cols: number, r: Prng): { words: bigint[]; wpr: number } {
  const b = p.bank;
  const wpr = Math.ceil(cols / b.weights_per_word);
  const words: bigint[] = [];
  for (const row of rows) {
    for (let w = 0; w < wpr; w++) {
      words.push(packFields(Array.from({ length: b.weights_per_word }, (_, i) => row[w * b.weights_per_word + i] ?? r.signed(b.weight_bits)), b.weight_bits));
    }
  }
  return { words, wpr };
}

/** ld_bmem of a BMEM image from word `addr` of bank `bank`: the instruction and its host words. */
function loadBank(p: ChipParams, bank: number, addr: number, image: readonly bigint[]): { instr: Instruction; data: bigint[] } {
  const bits = image.length * p.bank.read_bits;
  const data = hostWords(p, joinWords(image, p.bank.read_bits), bits);
  return { instr: { op: "ld_bmem", bank, addr, n: data.length }, data };
}

/** The natural row of bank `bank`'s local row `r` when results are gathered in order (rows % per_word = 0). */
export function gatherOrderRow(p: ChipParams, rowsPerBank: number, bank: number, r: number): number {
  const perWord = p.bus.per_word;
  const wpb = rowsPerBank / perWord;
  const d = Math.floor(bank / p.banks_per_die);
  const j = bank % p.banks_per_die;
  const i = j * wpb + Math.floor(r / perWord);
  return i * p.dies * perWord + d * perWord + (r % perWord);
}

/**
 * With element packing (gemv pack) and every bank gathered: the stream position of bank `bank`'s
 * local row `r`. Die d sends its banks' results back to back (bank k's row r is element
 * k × rows + r of the die), per_word to a word; beat w holds word w of every die.
 */
export function packedOrderRow(p: ChipParams, rowsPerBank: number, bank: number, r: number): number {
  const perWord = p.bus.per_word;
  const d = Math.floor(bank / p.banks_per_die);
  const e = (bank % p.banks_per_die) * rowsPerBank + r;
  return Math.floor(e / perWord) * p.dies * perWord + d * perWord + (e % perWord);
}

export interface GemvSetup {
  prog: ChipProgram;
  rows: number;
  cols: number;
  /** Index of the gemv instruction in the program. */
  at: { bcast: number; gemv: number; gather: number };
  /** Natural-order reference: requantised W·x, element e of the gathered vector. */
  natural: bigint[] | null;
  shift: number;
}

/** A GEMV program: weights into every bank, x into CMEM, bcast, gemv, gather, rd_cmem. */
export function gemvProgram(p: ChipParams, r: Prng, opts: { rows: number; cols: number; extreme?: boolean; masks?: bigint[]; pack?: boolean }): GemvSetup {
  const { rows, cols } = opts;
  const pack = opts.pack ?? false;
  const b = p.bank;
  const instrs: Instruction[] = [];
  const data: bigint[] = [];
  const pw = p.bus.per_word;
  // Packed: a die's results fill ceil(banks_per_die × rows / per_word) words, the last padded.
  const total = pack ? p.dies * pw * Math.ceil((p.banks_per_die * rows) / pw) : rows * p.banks;
  // The whole matrix; bank k's local row j is natural row gatherOrderRow(k, j) when rows fill whole
  // bus words (packedOrderRow with packing: every row; the pads' rows are computed by no bank).
  const natural = pack || rows % pw === 0;
  const W = Array.from({ length: total }, () => Array.from({ length: cols }, () => r.signed(b.weight_bits)));
  const rowOf = (bank: number, j: number) => (pack ? packedOrderRow(p, rows, bank, j) : natural ? gatherOrderRow(p, rows, bank, j) : bank * rows + j);
  // BMEM base: a random word the bus can address with whole beats.
  const align = p.bus.bmem_r > 1 ? 1 : p.bus.bmem_split;
  const wBase = align * r.int(0, 3);
  for (let bank = 0; bank < p.banks; bank++) {
    const img = bmemImage(p, Array.from({ length: rows }, (_, j) => W[rowOf(bank, j)]!), cols, r);
    if (wBase + img.words.length + p.bus.bmem_split * 2 > b.bmem_depth) throw new Error(`chip test: ${rows} × ${cols} does not fit BMEM`);
    const ld = loadBank(p, bank, wBase, img.words);
    instrs.push(ld.instr);
    data.push(...ld.data);
  }
  // x: random, or the extremes (most negative, most positive, alternating).
  const aMin = minSigned(p.act_bits);
  const aMax = maxSigned(p.act_bits);
  const x = Array.from({ length: cols }, (_, c) => (opts.extreme ? [aMin, aMax, aMin, -1n, aMax][c % 5]! : r.signed(p.act_bits)));
  const xWords = hostWords(p, packElements(x, p.act_bits), cols * p.act_bits);
  const xa = r.int(0, 3);
  instrs.push({ op: "wr_cmem", addr: xa, n: xWords.length });
  data.push(...xWords);
  const aBase = r.int(0, Math.min(3, b.bram_depth - Math.ceil(cols / (b.lanes * b.bram_slices))));
  const bcastAt = instrs.length;
  instrs.push({ op: "bcast", addr: xa, n: xWords.length, bram: aBase });
  const shift = r.int(2, 6);
  const gemvAt = instrs.length;
  instrs.push({ op: "gemv", rows, cols, w_base: wBase, a_base: aBase, shift, ...(pack ? { pack: 1 } : {}) });
  const ya = xa + xWords.length + r.int(0, 2);
  const masks = opts.masks ?? [(1n << BigInt(p.banks)) - 1n];
  const gatherAt = instrs.length;
  let addr = ya;
  const gathered: { addr: number; words: number }[] = [];
  for (const mask of masks) {
    instrs.push({ op: "gather", mask, addr });
    const words = gatheredWords(p, rows, mask, pack);
    gathered.push({ addr, words });
    addr += words;
  }
  for (const g of gathered) instrs.push({ op: "rd_cmem", addr: g.addr, n: g.words });
  instrs.push({ op: "nop" });
  // Natural order: every element of W·x, wrapped, requantised.
  const computed = new Set<number>();
  for (let bank = 0; bank < p.banks; bank++) for (let j = 0; j < rows; j++) computed.add(rowOf(bank, j));
  const ref =
    natural && masks.length === 1
      ? W.map((row, i) => (computed.has(i) ? requantise(p.bus, BigInt.asIntN(p.bus.acc_bits, row.reduce((s, w, c) => s + w * x[c]!, 0n)), shift) : 0n))
      : null;
  return { prog: { instrs, data, stall: 0 }, rows, cols, at: { bcast: bcastAt, gemv: gemvAt, gather: gatherAt }, natural: ref, shift };
}

export interface HeadsSetup {
  prog: ChipProgram;
  at: { gemv: number; gather: number };
  /** The gathered vector by its own formula: bank b's rows against head (slot_b >> hsh)'s vector. */
  natural: bigint[];
}

/**
 * Per-bank activations (gemv a_slice, hsh, hstep): one broadcast of a vector per head (2^k MAC
 * beats each, from MAC beat a_slice of BRAM word a_base), then a gemv with hstep = k + 1 on every
 * bank; bank b dots its rows with head (slot_b >> hsh)'s vector, slot_b = (b mod banks_per_die) ×
 * dies + floor(b / banks_per_die). Rows: one bus word a bank.
 */
export function headsProgram(p: ChipParams, r: Prng): HeadsSetup {
  const b = p.bank;
  const lanes = b.lanes;
  const slices = b.bram_slices;
  const k = 1;
  const hsh = p.banks > 1 ? 1 : 0;
  const heads = Math.ceil(p.banks / 2 ** hsh);
  const cols = lanes + 1;
  const aSlice = Math.min(1, slices - 1);
  const aBase = 1;
  const beats = aSlice + heads * 2 ** k;
  const bramWords = Math.ceil(beats / slices);
  if (aBase + bramWords > b.bram_depth) throw new Error("chip test: the heads do not fit BRAM");
  // The BRAM image from word aBase: head h's vector at MAC beat aSlice + h × 2^k.
  const elems = Array.from({ length: bramWords * slices * lanes }, () => r.signed(p.act_bits));
  const vec = (h: number): bigint[] => elems.slice((aSlice + h * 2 ** k) * lanes, (aSlice + h * 2 ** k) * lanes + cols);
  const words = hostWords(p, packElements(elems, p.act_bits), elems.length * p.act_bits);
  const rows = p.bus.per_word;
  const instrs: Instruction[] = [];
  const data: bigint[] = [];
  const W = Array.from({ length: p.banks }, () => Array.from({ length: rows }, () => Array.from({ length: cols }, () => r.signed(b.weight_bits))));
  W.forEach((rowsOfBank, bank) => {
    const ld = loadBank(p, bank, 0, bmemImage(p, rowsOfBank, cols, r).words);
    instrs.push(ld.instr);
    data.push(...ld.data);
  });
  instrs.push({ op: "wr_cmem", addr: 0, n: words.length });
  data.push(...words);
  instrs.push({ op: "bcast", addr: 0, n: words.length, bram: aBase });
  const shift = r.int(2, 5);
  const gemv = instrs.length;
  instrs.push({ op: "gemv", rows, cols, w_base: 0, a_base: aBase, shift, a_slice: aSlice, hsh, hstep: k + 1 });
  const gather = instrs.length;
  const ya = words.length + 1;
  const out = gatheredWordsOf(p, rows);
  instrs.push({ op: "gather", mask: (1n << BigInt(p.banks)) - 1n, addr: ya }, { op: "rd_cmem", addr: ya, n: out }, { op: "nop" });
  const natural = Array.from({ length: p.banks * rows }, () => 0n);
  W.forEach((rowsOfBank, bank) => {
    const slot = (bank % p.banks_per_die) * p.dies + Math.floor(bank / p.banks_per_die);
    const x = vec(slot >> hsh);
    rowsOfBank.forEach((row, j) => {
      natural[gatherOrderRow(p, rows, bank, j)] = requantise(p.bus, BigInt.asIntN(p.bus.acc_bits, row.reduce((s, w, c) => s + w * x[c]!, 0n)), shift);
    });
  });
  return { prog: { instrs, data, stall: 0 }, at: { gemv, gather }, natural };
}

export interface GemmSetup {
  prog: ChipProgram;
  rows: number;
  cols: number;
  batch: number;
  at: { gemm: number; gathers: number[]; gemv: number };
  /** Plain-matrix reference of each vector's gathered results, element e of the gathered vector (null when the rows do not fill whole bus words). */
  natural: bigint[][] | null;
}

/**
 * A GEMM (prefill's batch tiling): random rows in every bank, B = the banks' most vectors, each
 * written to CMEM and broadcast to its own BRAM words a stride apart, gemv with batch and a_stride,
 * a gather per vector (tok 0 .. B-1), rd_cmem; then a plain GEMV (batch left out) on the same rows
 * against vector 0, gathered.
 */
export function gemmProgram(p: ChipParams, r: Prng): GemmSetup {
  const b = p.bank;
  const batch = b.batch;
  const pw = p.bus.per_word;
  // Rows a bank: each vector's words (ceil(rows / per_word)) × batch must fit a packer; whole bus
  // words when possible, at most 8 rows (or one bus word).
  const fits = (rows: number) => rows <= p.bus.max_count && Math.ceil(rows / pw) * batch <= p.bus.fifo_depth;
  let rows = pw * Math.max(1, Math.floor(8 / pw));
  while (rows > pw && !fits(rows)) rows -= pw;
  if (!fits(rows)) throw new Error(`chip test: a packer of ${p.bus.fifo_depth} words cannot hold ${batch} vectors' results`);
  const perBram = b.lanes * b.bram_slices;
  const cols = Math.min(b.max_cols, r.int(b.lanes + 1, 3 * perBram + 1));
  const vecWords = Math.ceil(cols / perBram);
  const stride = vecWords + r.int(0, 1);
  if ((batch - 1) * stride + vecWords > b.bram_depth) throw new Error(`chip test: ${batch} vectors of ${cols} do not fit BRAM`);
  const instrs: Instruction[] = [];
  const data: bigint[] = [];
  const W = Array.from({ length: p.banks }, () => Array.from({ length: rows }, () => Array.from({ length: cols }, () => r.signed(b.weight_bits))));
  const align = p.bus.bmem_r > 1 ? 1 : p.bus.bmem_split;
  const wBase = align * r.int(0, 2);
  W.forEach((m, bank) => {
    const ld = loadBank(p, bank, wBase, bmemImage(p, m, cols, r).words);
    instrs.push(ld.instr);
    data.push(...ld.data);
  });
  const X = Array.from({ length: batch }, () => Array.from({ length: cols }, () => r.signed(p.act_bits)));
  let addr = 0;
  X.forEach((x, t) => {
    const words = hostWords(p, packElements(x, p.act_bits), cols * p.act_bits);
    instrs.push({ op: "wr_cmem", addr, n: words.length });
    data.push(...words);
    instrs.push({ op: "bcast", addr, n: words.length, bram: t * stride });
    addr += words.length;
  });
  const shift = r.int(2, 6);
  const all = (1n << BigInt(p.banks)) - 1n;
  const at = { gemm: instrs.length, gathers: [] as number[], gemv: 0 };
  instrs.push({ op: "gemv", rows, cols, w_base: wBase, a_base: 0, shift, batch, a_stride: stride });
  const perVector = gatheredWords(p, rows, all);
  for (let t = 0; t < batch; t++) {
    at.gathers.push(instrs.length);
    instrs.push({ op: "gather", mask: all, addr: addr + t * perVector, tok: t });
  }
  const gemmWords = batch * perVector;
  at.gemv = instrs.length;
  instrs.push({ op: "gemv", rows, cols, w_base: wBase, a_base: 0, shift });
  instrs.push({ op: "gather", mask: all, addr: addr + gemmWords });
  instrs.push({ op: "rd_cmem", addr, n: gemmWords + gatheredWords(p, rows, all) });
  instrs.push({ op: "nop" });
  // Vector t's gather is W·x_t as a GEMV's: bank k's row r at gatherOrderRow(k, r).
  const natural =
    rows % pw === 0
      ? X.map((x) => {
          const v = Array.from({ length: rows * p.banks }, () => 0n);
          W.forEach((m, bank) =>
            m.forEach((row, r) => {
              const dot = BigInt.asIntN(p.bus.acc_bits, row.reduce((sum, w, c) => sum + w * x[c]!, 0n));
              v[gatherOrderRow(p, rows, bank, r)] = BigInt.asUintN(p.act_bits, requantise(p.bus, dot, shift));
            }),
          );
          return v;
        })
      : null;
  return { prog: { instrs, data, stall: 0 }, rows, cols, batch, at, natural };
}

/**
 * vop of every ALU op on random vectors (lengths a multiple of the lanes and of a CMEM word). An op
 * the chip does not build (chip.controller.vector_ops) runs in place over its input, which must
 * come back unchanged: a nop.
 */
export function vopProgram(p: ChipParams, r: Prng, loaded: LoadedSpec): { prog: ChipProgram; ops: string[]; nops: { at: number; words: bigint[] }[] } {
  const instrs: Instruction[] = [];
  const data: bigint[] = [];
  const step = lcm(p.valu.lanes, p.host_elems);
  const m = loaded.derived.model;
  const len = (want: number, max: number) => Math.max(step, Math.min(Math.floor(max / step) * step, Math.ceil(want / step) * step));
  const cases: { name: keyof typeof CTRL_OPCODES; len: number }[] = [
    { name: "add", len: len(3 * step, 1e9) },
    { name: "mul", len: len(2 * step, 1e9) },
    { name: "sum", len: len(2 * step, 1e9) },
    { name: "max", len: len(2 * step, 1e9) },
    { name: "silu", len: len(2 * step, 1e9) },
    { name: "softmax", len: len(2 * step, p.ctrl.softmax.maxLen) },
    { name: "rmsnorm", len: len(m.hidden_size, p.ctrl.rmsnorm.maxLen) },
    { name: "rope", len: len(m.head_dim, m.head_dim) },
    { name: "requant", len: len(step, 1e9) },
  ];
  const ops: string[] = [];
  /** Per op not built: where its read-back starts in the output words, and the input it must equal. */
  const nops: { at: number; words: bigint[] }[] = [];
  let out = 0;
  let ya = 0;
  for (const c of cases) {
    if (c.len > p.ctrl.maxLen) continue;
    const words = c.len / p.host_elems;
    if (2 * words + 2 > p.cmem_depth || words > p.cram_depth) continue;
    const a = Array.from({ length: c.len }, () => r.signed(p.act_bits));
    const b = Array.from({ length: c.len }, () => r.signed(p.act_bits));
    const aw = splitWords(packElements(a, p.act_bits), p.host_bits, words);
    const bw = splitWords(packElements(b, p.act_bits), p.host_bits, words);
    instrs.push({ op: "wr_cmem", addr: 0, n: words });
    data.push(...aw);
    instrs.push({ op: "wr_cram", addr: 0, n: words });
    data.push(...bw);
    const built = p.valu.ops.includes(c.name);
    ya = built ? words + 1 : 0;
    const shift = c.name === "requant" ? r.int(0, 8) : r.int(0, 2 ** p.ctrl.ew.shBits - 1);
    instrs.push({
      op: "vop",
      alu: CTRL_OPCODES[c.name],
      len: c.len,
      a: 0,
      b: 0,
      y: ya,
      shift,
      mult: BigInt(r.int(1, 2 ** p.valu.mb - 1)),
      pos: r.int(0, 2 ** p.valu.pos_w - 1),
    });
    const outWords = built && (c.name === "sum" || c.name === "max") ? 1 : words;
    instrs.push({ op: "rd_cmem", addr: ya, n: outWords });
    ops.push(built ? c.name : `${c.name} (not built: a nop)`);
    if (!built) nops.push({ at: out, words: aw });
    out += outWords;
  }
  // An alu code that is no ALU op: a nop (one cycle, nothing written).
  instrs.push({ op: "vop", alu: 15, len: step, a: 0, b: 0, y: 0, shift: 0, mult: 0, pos: 0 });
  instrs.push({ op: "rd_cmem", addr: 0, n: 1 });
  instrs.push({ op: "nop" });
  return { prog: { instrs, data, stall: 0 }, ops, nops };
}

export interface KvSetup {
  prog: ChipProgram;
  /** Indices of the st_bmem, one-bank bcast and cp_cram instructions. */
  at: { st_bmem: number[]; bcast_one: number[]; cp_cram: number[] };
}

/**
 * The decode-step data moves (see chip/kv above): st_bmem appending rows after ld_bmem, bcast to
 * one bank, cp_cram of a vector the chip computed and of one from the host.
 */
export function kvProgram(p: ChipParams, r: Prng): KvSetup {
  const b = p.bank;
  const instrs: Instruction[] = [];
  const data: bigint[] = [];
  const at: KvSetup["at"] = { st_bmem: [], bcast_one: [], cp_cram: [] };
  const rows = 2 * p.bus.per_word;
  const cols = Math.min(b.max_cols, 2 * b.lanes * b.bram_slices + 3);
  const align = p.bus.bmem_r > 1 ? 1 : p.bus.bmem_split;
  const wBase = align * r.int(0, 3);
  const src = r.int(0, 3);
  for (let bank = 0; bank < p.banks; bank++) {
    const img = bmemImage(p, Array.from({ length: rows }, () => Array.from({ length: cols }, () => r.signed(b.weight_bits))), cols, r).words;
    // The first part from the host, the rest (from a beat boundary) appended from CMEM.
    const h = align * Math.ceil(img.length / 2 / align);
    const ld = loadBank(p, bank, wBase, img.slice(0, h));
    instrs.push(ld.instr);
    data.push(...ld.data);
    const rest = hostWords(p, joinWords(img.slice(h), b.read_bits), (img.length - h) * b.read_bits);
    instrs.push({ op: "wr_cmem", addr: src, n: rest.length });
    data.push(...rest);
    at.st_bmem.push(instrs.length);
    instrs.push({ op: "st_bmem", bank, addr: wBase + h, n: rest.length, src });
  }
  // x to every BRAM (the bank field left out: 0), then each bank but bank 0 its own vector.
  const aBase = r.int(0, Math.min(3, b.bram_depth - Math.ceil(cols / (b.lanes * b.bram_slices))));
  const vec = (): bigint[] => hostWords(p, packElements(Array.from({ length: cols }, () => r.signed(p.act_bits)), p.act_bits), cols * p.act_bits);
  const xa = r.int(0, 3);
  const x = vec();
  instrs.push({ op: "wr_cmem", addr: xa, n: x.length });
  data.push(...x);
  instrs.push({ op: "bcast", addr: xa, n: x.length, bram: aBase });
  for (let bank = p.banks - 1; bank >= 1; bank--) {
    const q = vec();
    instrs.push({ op: "wr_cmem", addr: xa, n: q.length });
    data.push(...q);
    at.bcast_one.push(instrs.length);
    instrs.push({ op: "bcast", addr: xa, n: q.length, bram: aBase, bank: bank + 1 });
  }
  instrs.push({ op: "gemv", rows, cols, w_base: wBase, a_base: aBase, shift: r.int(2, 6) });
  const ya = xa + x.length + r.int(0, 2);
  instrs.push({ op: "gather", mask: (1n << BigInt(p.banks)) - 1n, addr: ya });
  const gWords = gatheredWords(p, rows, (1n << BigInt(p.banks)) - 1n);
  instrs.push({ op: "rd_cmem", addr: ya, n: gWords });
  // The gathered vector (whole words) to CRAM, then y + y on the ALU.
  const n1 = Math.min(gWords, p.cram_depth - 1, Math.floor(p.ctrl.maxLen / p.host_elems));
  const cd = r.int(0, p.cram_depth - n1);
  at.cp_cram.push(instrs.length);
  instrs.push({ op: "cp_cram", src: ya, dst: cd, n: n1 });
  const za = ya + gWords + 1;
  const op = (y: number, a: number, bb: number, len: number): Instruction => ({ op: "vop", alu: CTRL_OPCODES.add, len, a, b: bb, y, shift: 0, mult: 0, pos: 0 });
  instrs.push(op(za, ya, cd, n1 * p.host_elems));
  instrs.push({ op: "rd_cmem", addr: za, n: n1 });
  // A host vector to CRAM through CMEM, added to another: every CRAM word it can hold but one.
  const ua = za + p.cram_depth + 1;
  const n2 = Math.min(p.cram_depth - 1, Math.floor(p.ctrl.maxLen / p.host_elems), Math.floor((p.cmem_depth - ua) / 2));
  const u = Array.from({ length: n2 }, () => r.bits(p.host_bits));
  const v = Array.from({ length: n2 }, () => r.bits(p.host_bits));
  instrs.push({ op: "wr_cmem", addr: ua, n: n2 }, { op: "wr_cmem", addr: ua + n2, n: n2 });
  data.push(...u, ...v);
  const cd2 = r.int(0, p.cram_depth - n2);
  at.cp_cram.push(instrs.length);
  instrs.push({ op: "cp_cram", src: ua + n2, dst: cd2, n: n2 });
  // n = 0: one-cycle nops.
  instrs.push({ op: "cp_cram", src: 0, dst: 0, n: 0 }, { op: "st_bmem", bank: 0, addr: 0, n: 0, src: 0 });
  instrs.push(op(za, ua, cd2, n2 * p.host_elems));
  instrs.push({ op: "rd_cmem", addr: za, n: n2 });
  instrs.push({ op: "nop" });
  return { prog: { instrs, data, stall: 0 }, at };
}

export interface AttnSetup {
  prog: ChipProgram;
  /** Indices of the st_vt, the kv gemvs and the gathers. */
  at: { st_vt: number[]; gemv: number[]; gather: number[] };
}

/** A random bank mask with at least one bank, and bank 0 left out when there are several dies (so a die sends nothing). */
function someBanks(p: ChipParams, r: Prng, oneDieOnly: boolean): bigint {
  if (oneDieOnly) {
    const d = p.dies > 1 ? r.int(1, p.dies - 1) : 0;
    return 1n << BigInt(d * p.banks_per_die + r.int(0, p.banks_per_die - 1));
  }
  let m = 0n;
  while (m === 0n || (p.banks > 1 && m === (1n << BigInt(p.banks)) - 1n)) m = BigInt(r.int(1, 2 ** Math.min(p.banks, 30) - 1));
  return m;
}

/**
 * The attention moves (see chip/attn): KV rows of kv_bits fields (random BMEM contents, so st_vt
 * must keep the fields it does not write), V^T columns appended with st_vt at random positions,
 * gemv with kv = 1 on a subset of the banks (mask), a V^T gemv over its first columns at a row
 * pitch, gathers of some banks (compaction: dies that send nothing leave no gap), one bank alone.
 */
export function attnProgram(p: ChipParams, r: Prng): AttnSetup {
  const b = p.bank;
  const instrs: Instruction[] = [];
  const data: bigint[] = [];
  const at: AttnSetup["at"] = { st_vt: [], gemv: [], gather: [] };
  const kpw = b.kv_per_word;
  const align = p.bus.bmem_r > 1 ? 1 : p.bus.bmem_split;
  const up = (n: number): number => align * Math.ceil(n / align);
  // K: rowsK rows of colsK fields; V^T: rowsV rows of wprV words (colsV positions).
  const rowsK = p.bus.per_word + 1 + r.int(0, p.bus.per_word);
  const colsK = Math.min(b.max_cols, kpw * r.int(1, 3) + r.int(0, kpw - 1) + 1);
  const wprK = Math.ceil(colsK / kpw);
  const rowsV = Math.max(2, p.bus.per_word - 1 + r.int(0, 2));
  const wprV = r.int(2, 3);
  const colsV = Math.min(b.max_cols, wprV * kpw - r.int(0, kpw - 1));
  const vBase = up(rowsK * wprK);
  const mask = someBanks(p, r, false);
  const banks = Array.from({ length: p.banks }, (_, k) => k).filter((k) => ((mask >> BigInt(k)) & 1n) === 1n);
  for (const bank of banks) {
    const img = Array.from({ length: vBase + rowsV * wprV }, () => r.bits(b.read_bits));
    const ld = loadBank(p, bank, 0, img);
    instrs.push(ld.instr);
    data.push(...ld.data);
  }
  // V^T appends: positions t (random, among colsV), rowsV fields each, into some of the banks.
  const fieldsWords = Math.ceil((rowsV * b.kv_bits) / p.host_bits);
  const src = r.int(0, 3);
  for (let i = 0; i < 3; i++) {
    const bank = banks[r.int(0, banks.length - 1)]!;
    const t = r.int(0, colsV - 1);
    const words = Array.from({ length: fieldsWords }, () => r.bits(p.host_bits));
    instrs.push({ op: "wr_cmem", addr: src, n: fieldsWords });
    data.push(...words);
    at.st_vt.push(instrs.length);
    instrs.push({ op: "st_vt", bank, addr: vBase + Math.floor(t / kpw), stride: wprV, field: t % kpw, n: rowsV, src });
  }
  // Activations to every BRAM.
  const cols = Math.max(colsK, colsV);
  const xa = src + fieldsWords + 1;
  const x = hostWords(p, packElements(Array.from({ length: cols }, () => r.signed(p.act_bits)), p.act_bits), cols * p.act_bits);
  instrs.push({ op: "wr_cmem", addr: xa, n: x.length });
  data.push(...x);
  instrs.push({ op: "bcast", addr: xa, n: x.length, bram: 0 });
  const ya = xa + x.length + 1;
  // Scores: K rows · x on the masked banks; gathered in two parts (some banks, then the rest).
  at.gemv.push(instrs.length);
  instrs.push({ op: "gemv", rows: rowsK, cols: colsK, w_base: 0, a_base: 0, shift: r.int(0, 6), kv: 1, mask });
  const part = banks.length > 1 ? 1n << BigInt(banks[banks.length - 1]!) : mask;
  for (const m of part === mask ? [mask] : [mask & ~part, part]) {
    at.gather.push(instrs.length);
    instrs.push({ op: "gather", mask: m, addr: ya });
    instrs.push({ op: "rd_cmem", addr: ya, n: gatheredWords(p, rowsK, m) });
  }
  // V^T rows · x on the masked banks (the appended columns among them), at the rows' pitch.
  at.gemv.push(instrs.length);
  instrs.push({ op: "gemv", rows: rowsV, cols: colsV, w_base: vBase, a_base: 0, shift: r.int(0, 6), kv: 1, mask, pitch: wprV });
  at.gather.push(instrs.length);
  instrs.push({ op: "gather", mask, addr: ya });
  instrs.push({ op: "rd_cmem", addr: ya, n: gatheredWords(p, rowsV, mask) });
  // V^T rows · x on one bank (of a die other than die 0 when there are several).
  const one = someBanks(p, r, true);
  if (!banks.includes(Number(one.toString(2).length - 1))) {
    const bank = one.toString(2).length - 1;
    const img = Array.from({ length: rowsV * wprV }, () => r.bits(b.read_bits));
    const ld = loadBank(p, bank, vBase, img);
    instrs.push(ld.instr);
    data.push(...ld.data);
  }
  at.gemv.push(instrs.length);
  // The first columns only, rows at their reserved pitch (a context shorter than the rows hold).
  instrs.push({ op: "gemv", rows: rowsV, cols: r.int(1, colsV), w_base: vBase, a_base: 0, shift: r.int(0, 6), kv: 1, mask: one, pitch: wprV });
  at.gather.push(instrs.length);
  instrs.push({ op: "gather", mask: one, addr: ya });
  instrs.push({ op: "rd_cmem", addr: ya, n: gatheredWords(p, rowsV, one) });
  // A weight gemv on every bank after the kv ones (the mode switches back).
  instrs.push({ op: "gemv", rows: 0, cols: 0, w_base: 0, a_base: 0, shift: 0 });
  instrs.push({ op: "st_vt", bank: 0, addr: 0, stride: 0, field: 0, n: 0, src: 0 });
  instrs.push({ op: "nop" });
  return { prog: { instrs, data, stall: 0 }, at };
}

export interface VtSpreadSetup {
  prog: ChipProgram;
  at: { st_vt: number[] };
  /** Per st_vt: its field, the fields it sends, and the banks of its slots (slot s: field e with e mod S = s). */
  appends: { field: number; fields: bigint[]; slots: number[] }[];
  base: number;
  stride: number;
}

/**
 * A spread V^T append (st_vt spread = L: banks 0 .. L-1 of every die at once, the largest L whose
 * L × dies slots divide a beat's fields), twice into different fields of the same words, then the
 * rows read back by a KV gemv on those banks. Null when no L fits the chip.
 */
export function vtSpreadProgram(p: ChipParams, r: Prng): VtSpreadSetup | null {
  const b = p.bank;
  const fpb = p.bus.bcast_bits / b.kv_bits;
  const L = [...Array.from({ length: p.banks_per_die }, (_, i) => p.banks_per_die - i)].find((l) => fpb % (l * p.dies) === 0);
  if (L === undefined) return null;
  const S = L * p.dies;
  const slots = Array.from({ length: S }, (_, s) => (s % p.dies) * p.banks_per_die + Math.floor(s / p.dies));
  const mask = slots.reduce((m, k) => m | (1n << BigInt(k)), 0n);
  const kpw = b.kv_per_word;
  const stride = 2;
  const J = 3;
  const base = 0;
  const instrs: Instruction[] = [];
  const data: bigint[] = [];
  for (const bank of slots) {
    const ld = loadBank(p, bank, base, Array.from({ length: J * stride }, () => r.bits(b.read_bits)));
    instrs.push(ld.instr);
    data.push(...ld.data);
  }
  const at: number[] = [];
  const appends: VtSpreadSetup["appends"] = [];
  const n = J * S;
  const words = Math.ceil((n * b.kv_bits) / p.host_bits);
  const fields = [r.int(0, kpw - 1)];
  if (kpw > 1) fields.push((fields[0]! + 1 + r.int(0, kpw - 2)) % kpw);
  fields.forEach((field, i) => {
    const stream = Array.from({ length: words }, () => r.bits(p.host_bits));
    const src = i * (words + 1);
    instrs.push({ op: "wr_cmem", addr: src, n: words });
    data.push(...stream);
    at.push(instrs.length);
    instrs.push({ op: "st_vt", bank: 0, addr: base, stride, field, n, src, spread: L });
    appends.push({ field, fields: splitWords(joinWords(stream, p.host_bits), b.kv_bits, n), slots });
  });
  // Read the rows back: every field of each row against a random vector, on the slots' banks.
  const cols = Math.min(b.max_cols, stride * kpw);
  const x = hostWords(p, packElements(Array.from({ length: cols }, () => r.signed(p.act_bits)), p.act_bits), cols * p.act_bits);
  const xa = fields.length * (words + 1);
  instrs.push({ op: "wr_cmem", addr: xa, n: x.length }, { op: "bcast", addr: xa, n: x.length, bram: 0 });
  data.push(...x);
  instrs.push({ op: "gemv", rows: J, cols, w_base: base, a_base: 0, shift: r.int(0, 4), kv: 1, mask, pitch: stride });
  const ya = xa + x.length + 1;
  instrs.push({ op: "gather", mask, addr: ya }, { op: "rd_cmem", addr: ya, n: gatheredWords(p, J, mask) }, { op: "nop" });
  return { prog: { instrs, data, stall: 0 }, at: { st_vt: at }, appends, base, stride };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}

// ---- checks ------------------------------------------------------------------------------------

/** One check per instruction index: measured against the model, exact within CYCLE_TOLERANCE. */
function cycleCheck(name: string, res: ProgramResult, i: number, speed: number | undefined): SimCheck {
  const measured = res.measured[i] ?? -1;
  const model = res.model[i]!.cycles;
  const ok = cyclesWithinTolerance(measured, model);
  return {
    name,
    passed: ok,
    cycles: { measured, model },
    ...(speed ? { sim_cycles_per_s: speed } : {}),
    ...(ok ? {} : { detail: `${measured} cycles, the model says ${model} (more than ${CYCLE_TOLERANCE * 100} % apart)` }),
  };
}

/** Every instruction's cycles as the model says (all but the final nop). */
function allCyclesMessages(prog: ChipProgram, res: ProgramResult): string[] {
  const out: string[] = [];
  res.measured.forEach((m, i) => {
    const model = res.model[i]!.cycles;
    if (!cyclesWithinTolerance(m, model)) out.push(`instruction ${i} (${prog.instrs[i]!.op}): ${m} cycles, the model says ${model}`);
  });
  return out;
}

/**
 * The golden chain's m_data (the program's read-back, as activation codes) against a reference the
 * test computed on its own: a message when they differ (the golden models' layout helpers are wrong).
 */
function goldenVsReference(p: ChipParams, res: ProgramResult, reference: readonly bigint[], what: string): string[] {
  const got = res.expectedOut.map((o) => o.data);
  const elems = unpackElements(joinWords(got, p.host_bits), p.act_bits, reference.length).map((v) => BigInt.asUintN(p.act_bits, v));
  return elems.some((v, i) => v !== reference[i]) ? [`golden chain differs from ${what}`] : [];
}

function dataCheck(name: string, res: ProgramResult, seed: number, extra: string[] = []): SimCheck {
  const msgs = [...res.messages, ...extra];
  return {
    name,
    passed: msgs.length === 0,
    ...(res.sim_cycles_per_s ? { sim_cycles_per_s: res.sim_cycles_per_s } : {}),
    ...(msgs.length === 0 ? {} : { detail: `seed ${seed}: ${msgs.join("; ")}` }),
  };
}

async function built(ctx: SimContext): Promise<BuiltModel> {
  return buildVerilated(chipBuild(ctx.loaded, ctx.trace));
}

export const chipTests: SimTest[] = [
  {
    name: "chip/gemv",
    description:
      "weights into every bank, a vector into CMEM, bcast + gemv + gather + rd_cmem: bit-exact, every instruction's cycles as the model says, the GEMV ≥ 95 % of the bank-bandwidth roofline",
    async run(ctx) {
      const p = chipParams(ctx.loaded);
      const r = prng(ctx.seed).fork("chip/gemv");
      const setup = gemvProgram(p, r, { rows: 16, cols: Math.min(1024, p.bank.max_cols) });
      const res = await runProgram(await built(ctx), ctx.loaded, setup.prog, ctx, "chip_gemv");
      const extra: string[] = [];
      if (setup.natural) extra.push(...goldenVsReference(p, res, setup.natural, "the plain matrix product in natural row order"));
      extra.push(...allCyclesMessages(setup.prog, res));
      const speed = res.sim_cycles_per_s;
      const checks: SimCheck[] = [dataCheck("chip/gemv.data", res, ctx.seed, extra)];
      checks.push(cycleCheck("chip/gemv.ld_bmem", res, 0, speed));
      checks.push(cycleCheck("chip/gemv.bcast", res, setup.at.bcast, speed));
      checks.push(cycleCheck("chip/gemv.gemv", res, setup.at.gemv, speed));
      checks.push(cycleCheck("chip/gemv.gather", res, setup.at.gather, speed));
      // The whole GEMV: bcast + gemv + gather.
      const whole = [setup.at.bcast, setup.at.gemv, setup.at.gather];
      const wm = whole.reduce((s, i) => s + (res.measured[i] ?? 0), 0);
      const wmodel = whole.reduce((s, i) => s + res.model[i]!.cycles, 0);
      checks.push({ name: "chip/gemv.whole", passed: cyclesWithinTolerance(wm, wmodel), cycles: { measured: wm, model: wmodel } });
      // Roofline of the GEMV part: weight bytes / (banks × read bytes per cycle). The gemv
      // instruction only starts the banks; the gather waits for them: the GEMV's span is the two
      // measured, less the gather's own cycles with idle banks (its formula, checked exact above).
      const roof = bankGemvCycles(ctx.loaded.derived, setup.rows, setup.cols).roofline;
      const gatherAlone = instructionCycles(p, ctx.loaded.derived, setup.prog.instrs[setup.at.gather]!, setup.rows).cycles;
      const g = (res.measured[setup.at.gemv] ?? Infinity) + (res.measured[setup.at.gather] ?? Infinity) - gatherAlone;
      const share = roof / g;
      checks.push({
        // model = the roofline itself; the check is measured ≤ roofline / 0.95.
        name: "chip/gemv.roofline (≥ 95 %)",
        passed: share >= CHIP_ROOFLINE_SHARE,
        cycles: { measured: g, model: roof },
        detail: `${(share * 100).toFixed(1)} % of the roofline (${roof} cycles for ${setup.rows} × ${setup.cols} per bank); the whole GEMV with its bcast and gather: ${((roof / wm) * 100).toFixed(1)} %`,
      });
      return checks;
    },
  },
  {
    name: "chip/gemm",
    description:
      "a GEMM (gemv with batch = the banks' most vectors, vectors a_stride BRAM words apart), gathered vector by vector (gather tok): each vector's results equal to its plain matrix product in a GEMV's gather order; then a GEMV on the same rows; bit-exact, every instruction's cycles as the model says",
    async run(ctx) {
      const p = chipParams(ctx.loaded);
      const r = prng(ctx.seed).fork("chip/gemm");
      const setup = gemmProgram(p, r);
      const res = await runProgram(await built(ctx), ctx.loaded, setup.prog, ctx, "chip_gemm");
      const extra: string[] = [];
      if (setup.natural) {
        const words = res.expectedOut.map((o) => o.data);
        const per = words.length === 0 ? 0 : gatheredWordsOf(p, setup.rows);
        setup.natural.forEach((want, t) => {
          const got = unpackElements(joinWords(words.slice(t * per, (t + 1) * per), p.host_bits), p.act_bits, want.length).map((v) => BigInt.asUintN(p.act_bits, v));
          if (got.some((v, i) => v !== want[i])) extra.push(`golden chip's GEMM vector ${t} differs from the plain matrix product in gather order`);
        });
      } else {
        extra.push(`test: ${setup.rows} rows × ${setup.batch} vectors do not fill whole bus words; pick another spec`);
      }
      extra.push(...allCyclesMessages(setup.prog, res));
      const speed = res.sim_cycles_per_s;
      return [
        dataCheck(`chip/gemm.data (${setup.rows} rows × ${setup.cols} cols × ${setup.batch} vectors)`, res, ctx.seed, extra),
        cycleCheck("chip/gemm.gemm_and_first_gather", { ...res, measured: [res.measured[setup.at.gemm]! + res.measured[setup.at.gathers[0]!]!], model: [{ ...res.model[setup.at.gemm]!, cycles: res.model[setup.at.gemm]!.cycles + res.model[setup.at.gathers[0]!]!.cycles }] }, 0, speed),
        cycleCheck("chip/gemm.gather_last_vector", res, setup.at.gathers[setup.batch - 1]!, speed),
        cycleCheck("chip/gemm.gemv_after", res, setup.at.gemv, speed),
      ];
    },
  },
  {
    name: "chip/odd",
    description: "columns not a multiple of the lanes, rows not a multiple of a bus word, an extreme vector, a gather of some banks then of the rest",
    async run(ctx) {
      const p = chipParams(ctx.loaded);
      const r = prng(ctx.seed).fork("chip/odd");
      const setup = oddSetup(p, r);
      const res = await runProgram(await built(ctx), ctx.loaded, setup.prog, ctx, "chip_odd");
      return [{ ...dataCheck("chip/odd", res, ctx.seed, allCyclesMessages(setup.prog, res)), cycles: totalCycles(res) }];
    },
  },
  {
    name: "chip/packed",
    description:
      "gemv with element packing, rows not whole bus words (banks share words): gathered whole, equal to the plain matrix product in the packed order; gathered as each die's lower banks then the rest; bit-exact, every instruction's cycles as the model says",
    async run(ctx) {
      const p = chipParams(ctx.loaded);
      const pw = p.bus.per_word;
      // Rows a word and a third (or fewer, to fit the packers), not a multiple of per_word when it has several.
      const rows = [pw + Math.max(1, Math.floor(pw / 3)), Math.max(1, Math.floor(pw / 3)) + (pw > 1 ? 0 : 1), 1].find((n) => n <= p.bus.max_count && packFits(p, n, 1))!;
      const cols = Math.min(p.bank.max_cols, p.bank.lanes * p.bank.bram_slices + 5);
      const all = (1n << BigInt(p.banks)) - 1n;
      const lower = Array.from({ length: p.banks }, (_, b) => b).filter((b) => b % p.banks_per_die < Math.max(1, p.banks_per_die >> 1));
      const first = lower.reduce((m, b) => m | (1n << BigInt(b)), 0n);
      const checks: SimCheck[] = [];
      const runs = [
        { label: "whole", masks: [all] },
        { label: "split", masks: first === all ? [all] : [first, all & ~first] },
      ];
      for (const run of runs) {
        const r = prng(ctx.seed).fork(`chip/packed.${run.label}`);
        const setup = gemvProgram(p, r, { rows, cols, masks: run.masks, pack: true });
        const res = await runProgram(await built(ctx), ctx.loaded, setup.prog, ctx, `chip_packed_${run.label}`);
        const extra: string[] = [];
        if (setup.natural) extra.push(...goldenVsReference(p, res, setup.natural, "the plain matrix product in the packed order"));
        extra.push(...allCyclesMessages(setup.prog, res));
        checks.push(dataCheck(`chip/packed.${run.label}.data`, res, ctx.seed, extra));
        run.masks.forEach((_, k) => checks.push(cycleCheck(`chip/packed.${run.label}.gather_${k}`, res, setup.at.gather + k, res.sim_cycles_per_s)));
      }
      return checks;
    },
  },
  {
    name: "chip/heads",
    description:
      "one broadcast of a vector per head, then a gemv whose banks each take their own head's vector (a_slice, hsh, hstep): equal to each bank's rows against head (slot >> hsh)'s vector by a formula of the test's own; bit-exact, every instruction's cycles as the model says",
    async run(ctx) {
      const p = chipParams(ctx.loaded);
      const setup = headsProgram(p, prng(ctx.seed).fork("chip/heads"));
      const res = await runProgram(await built(ctx), ctx.loaded, setup.prog, ctx, "chip_heads");
      const extra = goldenVsReference(p, res, setup.natural, "each bank's rows against its head's vector");
      extra.push(...allCyclesMessages(setup.prog, res));
      return [dataCheck("chip/heads.data", res, ctx.seed, extra), cycleCheck("chip/heads.gather", res, setup.at.gather, res.sim_cycles_per_s)];
    },
  },
  {
    name: "chip/vt_spread",
    description:
      "a V^T append spread over banks 0 .. L-1 of every die (st_vt spread), twice into different fields of the same words, then those rows read by a KV gemv: the golden BMEM holds field j × S + s in bank (s mod dies, floor(s / dies)), word j (the test's own formula); bit-exact, every instruction's cycles as the model says",
    async run(ctx) {
      const p = chipParams(ctx.loaded);
      const setup = vtSpreadProgram(p, prng(ctx.seed).fork("chip/vt_spread"));
      if (!setup) return [{ name: "chip/vt_spread (no L × dies divides a beat's fields: not applicable)", passed: true }];
      const res = await runProgram(await built(ctx), ctx.loaded, setup.prog, ctx, "chip_vt_spread");
      // The golden chip's BMEM against the instruction's definition, written out here.
      const golden = new ChipModel(p);
      golden.send(setup.prog.data);
      for (const i of setup.prog.instrs) golden.run(i);
      const extra: string[] = [];
      const kb = BigInt(p.bank.kv_bits);
      for (const a of setup.appends) {
        const S = a.slots.length;
        a.fields.forEach((v, e) => {
          const word = golden.bmem[a.slots[e % S]!]!.get(setup.base + Math.floor(e / S) * setup.stride)!;
          if (((word >> (BigInt(a.field) * kb)) & ((1n << kb) - 1n)) !== v && extra.length < 3) extra.push(`golden: field ${e} of the append into field ${a.field} is not where st_vt spread puts it`);
        });
      }
      extra.push(...allCyclesMessages(setup.prog, res));
      return [dataCheck("chip/vt_spread.data", res, ctx.seed, extra), ...setup.at.st_vt.map((i, k) => cycleCheck(`chip/vt_spread.st_vt_${k}`, res, i, res.sim_cycles_per_s))];
    },
  },
  {
    name: "chip/vop",
    description: "every vector ALU op on vectors in CMEM (operand b in CRAM), the results read back: bit-exact, cycles as the model says",
    async run(ctx) {
      const p = chipParams(ctx.loaded);
      const r = prng(ctx.seed).fork("chip/vop");
      const { prog, ops, nops } = vopProgram(p, r, ctx.loaded);
      const res = await runProgram(await built(ctx), ctx.loaded, prog, ctx, "chip_vop");
      const checks: SimCheck[] = [dataCheck(`chip/vop.data (${ops.join(", ")})`, res, ctx.seed)];
      // The RTL equals the model (above); an op not built must also leave its input as written.
      nops.forEach(({ at, words }, k) => {
        const got = res.expectedOut.slice(at, at + words.length).map((w) => w.data);
        checks.push({ name: `chip/vop.nop ${k}: input unchanged`, passed: got.length === words.length && got.every((w, i) => w === words[i]) });
      });
      prog.instrs.forEach((instr, i) => {
        if (instr.op !== "vop") return;
        const name = Object.entries(CTRL_OPCODES).find(([, c]) => c === Number(instr.alu))?.[0] ?? `alu_${instr.alu}_is_nop`;
        const exact = res.model[i]!.exact;
        const c = cycleCheck(`chip/vop.${name}`, res, i, res.sim_cycles_per_s);
        checks.push(exact ? c : { ...c, passed: true, detail: "model is an estimate for this chip" });
      });
      return checks;
    },
  },
  {
    name: "chip/stall",
    description: "chip/odd's program with s_data and m_data stalling 30 % of the cycles: the same data (cycles not compared)",
    async run(ctx) {
      const p = chipParams(ctx.loaded);
      const r = prng(ctx.seed).fork("chip/odd");
      const setup = oddSetup(p, r);
      const res = await runProgram(await built(ctx), ctx.loaded, { ...setup.prog, stall: 30 }, ctx, "chip_stall");
      return [dataCheck("chip/stall", res, ctx.seed)];
    },
  },
  {
    name: "chip/kv",
    description:
      "st_bmem appending rows after ld_bmem, bcast to one bank's BRAM, cp_cram of a computed and of a host vector, then gemv + gather and vop add: bit-exact, every instruction's cycles as the model says",
    async run(ctx) {
      const p = chipParams(ctx.loaded);
      const r = prng(ctx.seed).fork("chip/kv");
      const setup = kvProgram(p, r);
      const res = await runProgram(await built(ctx), ctx.loaded, setup.prog, ctx, "chip_kv");
      const speed = res.sim_cycles_per_s;
      const checks: SimCheck[] = [dataCheck("chip/kv.data", res, ctx.seed, allCyclesMessages(setup.prog, res))];
      checks.push(cycleCheck("chip/kv.st_bmem", res, setup.at.st_bmem[0]!, speed));
      for (const i of setup.at.bcast_one.slice(0, 1)) checks.push(cycleCheck("chip/kv.bcast_one_bank", res, i, speed));
      for (const i of setup.at.cp_cram) {
        const instr = setup.prog.instrs[i];
        checks.push(cycleCheck(`chip/kv.cp_cram (${instr?.op === "cp_cram" ? Number(instr.n) : 0} words)`, res, i, speed));
      }
      return checks;
    },
  },
  {
    name: "chip/attn",
    description:
      "the attention moves: K rows of kv_bits fields, V^T columns appended with st_vt into random BMEM (other fields kept), gemv with kv = 1 on a subset of the banks, gathers of some banks and of one bank alone (compacted): bit-exact, every instruction's cycles as the model says",
    async run(ctx) {
      const p = chipParams(ctx.loaded);
      const r = prng(ctx.seed).fork("chip/attn");
      const setup = attnProgram(p, r);
      const res = await runProgram(await built(ctx), ctx.loaded, setup.prog, ctx, "chip_attn");
      const speed = res.sim_cycles_per_s;
      const checks: SimCheck[] = [dataCheck("chip/attn.data", res, ctx.seed, allCyclesMessages(setup.prog, res))];
      checks.push(cycleCheck("chip/attn.st_vt", res, setup.at.st_vt[0]!, speed));
      setup.at.gemv.forEach((i, k) => checks.push(cycleCheck(`chip/attn.gemv_kv_${k}`, res, i, speed)));
      setup.at.gather.forEach((i, k) => checks.push(cycleCheck(`chip/attn.gather_${k}`, res, i, speed)));
      return checks;
    },
  },
];

function totalCycles(res: ProgramResult): { measured: number; model: number } {
  return { measured: res.measured.reduce((s, c) => s + c, 0), model: res.model.slice(0, res.measured.length).reduce((s, c) => s + c.cycles, 0) };
}

function oddSetup(p: ChipParams, r: Prng): GemvSetup {
  const rows = p.bus.per_word > 1 ? p.bus.per_word + 1 : 3;
  const cols = Math.min(p.bank.max_cols, 2 * p.bank.lanes * p.bank.bram_slices + 3);
  const all = (1n << BigInt(p.banks)) - 1n;
  // Some banks (die 0 out when there are several dies, else bank 0), then the rest.
  const first = p.dies > 1 ? all & ~((1n << BigInt(p.banks_per_die)) - 1n) : 1n;
  return gemvProgram(p, r, { rows, cols, extreme: true, masks: [first, all & ~first] });
}
