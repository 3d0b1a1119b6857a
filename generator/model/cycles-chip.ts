// The cycle model of the chip's instructions (generator/rtl/chip.ts, templates/rtl/controller.v.hbs):
// how many cycles each instruction holds the sequencer, from the edge that accepts it on s_cmd to
// the edge that can accept the next one (the host always offering the next instruction and its
// data, and always taking m_data). Built from the block formulas — bankGemvCycles (cycles.ts),
// broadcastCycles / bmemLoadCycles / gatherCycles (cycles-bus.ts), ctrlOpCycles
// (cycles-controller.ts) — plus the sequencer's own overheads, stated here:
//
//   instruction  cycles                                          overhead
//   nop          1                                               decode
//   wr_cmem/cram n + 1                                           decode; one word per cycle
//   rd_cmem      n + 2                                           decode; CMEM read register
//   ld_bmem      bmemLoadCycles(beats) + 3                       decode, width converter register,
//                                                                idle detection
//   bcast        broadcastCycles(beats) + 4                      the same and the CMEM read register
//                (to every bank's BRAM or to one bank's: the same cycles)
//   st_bmem      bmemLoadCycles(beats) + 4                       as ld_bmem, and the CMEM read register
//   cp_cram      n + 2                                           decode; CMEM read register
//   st_vt        as st_bmem, beat k held min(fields a beat,      the same; the die writes one field a
//                fields left) cycles                             cycle (stVtCycles steps it)
//   gemv         2 (+ the wait for the banks)                    decode, command issue; the banks then
//                                                                run bankGemvCycles(rows, cols).total
//                                                                cycles while the sequencer goes on
//                                                                (a GEMM: bankGemvCycles(rows, cols,
//                                                                { batch }); a gather per vector)
//   gather       gatherCycles(words) + 2 + drain                 decode; converter register; drain = 0
//                                                                when gather beats and CMEM words are
//                                                                equal (see gatherInstrCycles)
//   vop          ctrlOpCycles(op, len) + 4 + drain               decode, CMEM read register, two
//                                                                converter registers
//   (an instruction with n, len or mask 0 is a nop)
// A gemv starts the banks only when they are idle (the previous GEMV's last result taken, seen one
// cycle later), and a gather sends its command only then too: programCycles adds those waits, so
// the cycles of a program are not the sum of its instructions' standalone cycles.
// beats = ceil(n × mem_bits / (dies × bus.bits)). The ld_bmem, st_bmem and bcast rows hold when a host word
// is at least a broadcast beat (mem_bits ≥ dies × bus.bits, every preset but the seed's chip);
// otherwise the width converter, not the bus, sets the pace and busTransferTiming below steps its
// rules cycle by cycle (exact for every width). vop is exact when a CMEM word holds at least
// vector_lanes elements (the ALU is then never starved nor stalled); otherwise it is an estimate
// that adds the extra words the narrower CMEM needs (aim_llama7b: 200 elements per word, 256 lanes).
import type { ChipParams, Instruction } from "../rtl/chip.js";
import { builtAluOp } from "../rtl/ctrl_valu.js";
import { BROADCAST_FANOUT_LATENCY, GATHER_COMMAND_LATENCY } from "../rtl/interconnect.js";
import type { Derived } from "../spec/derive.js";
import { bmemLoadCycles, broadcastCycles, gatherCycles, gatherWords } from "./cycles-bus.js";
import { bankGemvCycles, gemmBatch } from "./cycles.js";
import { ctrlOpCycles, ctrlShape, type CtrlOp } from "./cycles-controller.js";

/** The sequencer's fixed cycles per instruction kind (see the table above). */
export const SEQ_OVERHEAD = {
  nop: 1,
  write: 1,
  read: 2,
  ld_bmem: 3,
  bcast: 4,
  st_bmem: 4,
  copy: 2,
  gemv: 2,
  gather: 2,
  vop: 4,
} as const;

export interface InstrCycles {
  cycles: number;
  /** The block formula's share (bus transfer, bank GEMV, gather, ALU op), for reports. */
  core: number;
  /** True when the formula is exact for this chip (see the header); false: an estimate. */
  exact: boolean;
  /**
   * Of `cycles`, those spent waiting for the banks' GEMV (programCycles: a gemv or gather that waits
   * for the banks to be idle); reports count them as the banks' time, the seed's intra-bank part.
   */
  wait?: number;
}

/** Units of a stream cut into beats of `out` units, joined from beats of `inp` units (the gearbox). */
function outputs(units: number, out: number): number {
  return Math.ceil(units / out);
}

/**
 * Cycles from a width converter's first input edge `a` to its last output edge, when its `beats`
 * inputs (of `inp` units, `units` in all) arrive at consecutive edges whenever it is ready and the
 * sink is always ready (templates/rtl/gearbox.v.hbs):
 *   inp ≥ out: outputs leave back to back from a + 1: last at a + ceil(units / out);
 *   inp < out: the last output leaves one cycle after the last input, or two when the last two
 *              outputs both complete with the last input.
 */
export function gearboxDrain(inp: number, out: number, beats: number, units: number): number {
  const w = outputs(units, out);
  if (inp >= out) return w;
  const collide = units % out !== 0 && w >= 2 && (beats - 1) * inp < (w - 1) * out;
  return beats + (collide ? 1 : 0);
}

/**
 * Cycles from a width converter's first input edge to its last output edge when input beat i
 * carries units[i] units, the beats are offered back to back and the sink is always ready: the
 * rules of templates/rtl/gearbox.v.hbs stepped edge by edge (gearboxDrain is the closed form for
 * full beats).
 */
export function gearboxSteps(inp: number, out: number, units: readonly number[]): number {
  let cnt = 0;
  let fin = false;
  let next = 0;
  for (let edge = 0; edge < 10_000_000; edge++) {
    const outValid = cnt >= out || (fin && cnt > 0);
    const outLast = fin && cnt <= out;
    const inReady = !fin && cnt <= inp + out;
    if (outValid && outLast) return edge;
    const rest = outValid ? (cnt >= out ? cnt - out : 0) : cnt;
    if (next < units.length && inReady) {
      cnt = rest + units[next]!;
      next++;
      if (next === units.length) fin = true;
    } else {
      cnt = rest;
    }
  }
  throw new Error("gearboxSteps: no end");
}

/** Broadcast beats of n host words. */
export function hostWordsToBeats(p: ChipParams, n: number): number {
  return Math.ceil((n * p.host_bits) / p.bus.bcast_bits);
}

/**
 * ld_bmem / bcast, stepped cycle by cycle under the documented rules of the source (s_data always
 * valid, or the CMEM read register), the width converter, the bus link (λ from the first beat
 * offered) and the die (DieRAM FIFO; a beat split into BMEM words takes one cycle per word).
 * Returns the instruction's cycles: accept edge to the edge that can accept the next one.
 */
export function busTransferTiming(
  p: ChipParams,
  words: number,
  source: "host" | "cmem",
  target: "bram" | "bmem",
  beatCycles?: (beat: number) => number,
): number {
  if (words === 0) return SEQ_OVERHEAD.nop;
  const g = p.m2b;
  const total = words * g.in_units;
  // Cycles the die holds beat k on its write port (a split BMEM beat: one per word).
  const holds = beatCycles ?? ((): number => (target === "bmem" ? p.bus.bmem_split : 1));
  let readBack = 0; // beats read back from DieRAM so far
  let split = 1; // cycles of the beat on the write port
  const depth = p.bus.dieram_depth;
  const lambda = p.bus.latency;
  // Cycle 0 is the cycle after the accept edge (t0 + 1).
  let left = words; // source words not yet offered / read
  let pv = false; // cmem: a read word is held for the converter
  let cnt = 0; // converter units
  let fin = false;
  let firstValid = -1;
  let sent = 0; // beats through the link
  const beats = outputs(total, g.out_units);
  let used = 0; // DieRAM beats not yet read back
  let p2 = false;
  let part = 0;
  let busDone = false;
  for (let c = 0; c < 10_000_000; c++) {
    // ---- combinational values of cycle c
    const inReady = !fin && cnt <= g.in_units + g.out_units;
    const outValid = cnt >= g.out_units || (fin && cnt > 0);
    const outLast = fin && cnt <= g.out_units;
    if (outValid && firstValid < 0) firstValid = c;
    const open = firstValid >= 0 && c >= firstValid + lambda;
    const dieReady = used < depth;
    const pass = outValid && open && dieReady && !busDone;
    const srcOffer: boolean = source === "host" ? left > 0 : pv;
    const take: boolean = srcOffer && inReady;
    const p2done: boolean = !(p2 && split > 1 && part !== split - 1);
    const dieRe: boolean = used > 0 && (!p2 || p2done);
    const nextSplit = dieRe ? holds(readBack) : split;
    // ---- the edge ending cycle c
    if (source === "cmem") {
      const re: boolean = left > 0 && (!pv || take);
      pv = re ? true : take ? false : pv;
      if (re) left--;
    } else if (take) {
      left--;
    }
    const lastWord = source === "host" ? take && left === 0 : take && left === 0 && !pv;
    let rest = cnt;
    if (pass) rest = cnt >= g.out_units ? cnt - g.out_units : 0;
    cnt = rest + (take ? g.in_units : 0);
    if (take && lastWord) fin = true;
    if (pass) {
      sent++;
      if (outLast) {
        fin = false;
        busDone = true;
      }
    }
    if (p2 && split > 1) part = part === split - 1 ? 0 : part + 1;
    p2 = dieRe ? true : p2done ? false : p2;
    if (dieRe) {
      readBack++;
      split = nextSplit;
      part = 0;
    }
    used = used + (pass ? 1 : 0) - (dieRe ? 1 : 0);
    // ---- done: the last beat passed and the die is idle in cycle c + 1
    if (busDone && used === 0 && !p2) {
      if (sent !== beats) throw new Error(`busTransferTiming: ${sent} beats, expected ${beats}`);
      // Idle seen in cycle c + 1 → IDLE at edge c + 1 → the next accept at edge c + 2 (cycles
      // counted from the accept edge t0, cycle 0 = t0 + 1).
      return c + 3;
    }
  }
  throw new Error("busTransferTiming: no end");
}

type BusInstr = "ld_bmem" | "bcast" | "st_bmem";

/**
 * An instruction that moves n words over the broadcast bus: the bus transfer's formula (`core`)
 * plus the sequencer's overhead when a word is at least a beat; otherwise the width converter sets
 * the pace and busTransferTiming steps it.
 */
function busInstrCycles(p: ChipParams, n: number, kind: BusInstr): InstrCycles {
  if (n === 0) return { cycles: SEQ_OVERHEAD.nop, core: 0, exact: true };
  const beats = hostWordsToBeats(p, n);
  const core = kind === "bcast" ? broadcastCycles(p.bus, beats) : bmemLoadCycles(p.bus, beats);
  if (p.host_bits >= p.bus.bcast_bits) return { cycles: core + SEQ_OVERHEAD[kind], core, exact: true };
  const source = kind === "ld_bmem" ? "host" : "cmem";
  const target = kind === "bcast" ? "bram" : "bmem";
  return { cycles: busTransferTiming(p, n, source, target), core, exact: true };
}

/** ld_bmem of n host words. */
export function ldBmemCycles(p: ChipParams, n: number): InstrCycles {
  return busInstrCycles(p, n, "ld_bmem");
}

/** bcast of n CMEM words. */
export function bcastCycles(p: ChipParams, n: number): InstrCycles {
  return busInstrCycles(p, n, "bcast");
}

/** st_bmem of n CMEM words: ld_bmem's path with the CMEM read register in front. */
export function stBmemCycles(p: ChipParams, n: number): InstrCycles {
  return busInstrCycles(p, n, "st_bmem");
}

/**
 * st_vt of n kv_bits fields: the bus transfer of the words that hold them (as st_bmem), each beat
 * held at the die one cycle per field of the count it carries (at least one); with spread = L > 0,
 * one cycle per block of S = L × dies fields (every die writes its L banks' fields of a block at
 * once, all dies in step).
 */
export function stVtCycles(p: ChipParams, n: number, spread = 0): InstrCycles {
  if (n === 0) return { cycles: SEQ_OVERHEAD.nop, core: 0, exact: true };
  const words = Math.ceil((n * p.bank.kv_bits) / p.host_bits);
  const fpb = p.bus.bcast_bits / p.bank.kv_bits;
  const S = spread > 0 ? spread * p.dies : 1;
  // Beat k holds the die for the fields (blocks) of the count it carries (at least one cycle).
  const holds = (k: number): number => Math.max(1, Math.ceil(Math.min(fpb, n - k * fpb) / S));
  const cycles = busTransferTiming(p, words, "cmem", "bmem", holds);
  return { cycles, core: cycles - SEQ_OVERHEAD.st_bmem, exact: true };
}

/** cp_cram of n words: one word a cycle through the CMEM read register. */
export function cpCramCycles(n: number): InstrCycles {
  return n === 0 ? { cycles: SEQ_OVERHEAD.nop, core: 0, exact: true } : { cycles: n + SEQ_OVERHEAD.copy, core: n, exact: true };
}

/** gemv with the banks idle: the sequencer's 2 cycles; `core` is the banks' GEMV (a GEMM with batch > 1), which runs on. */
export function gemvInstrCycles(d: Derived, rows: number, cols: number, kv = false, batch = 1): InstrCycles {
  const core = bankGemvCycles(d, rows, cols, { kv, batch }).total;
  return { cycles: SEQ_OVERHEAD.gemv, core, exact: true };
}

/**
 * The gemv instruction's shape as the cycle model takes it: rows, cols, kv and GEMM vectors. A
 * gather after it drains `rows` results a bank (a GEMM's: those of one vector).
 */
export function gemvShape(instr: Extract<Instruction, { op: "gemv" }>): { rows: number; cols: number; kv: boolean; batch: number; pack: boolean } {
  const kv = Number(instr.kv ?? 0) === 1;
  return { rows: Number(instr.rows), cols: Number(instr.cols), kv, batch: gemmBatch({ kv, batch: Number(instr.batch ?? 1) }), pack: Number(instr.pack ?? 0) === 1 };
}

/**
 * gather of the masked banks after a GEMV of `rows` rows: the interconnect's gatherCycles
 * (command offered to final beat), then the converter's drain into CMEM words. With a gather beat
 * of G_IN units and a CMEM word of OUT units: when a beat is at least a word, the CMEM write port
 * sets the pace (one word per cycle from the first beat); otherwise the beats do.
 */
export function gatherInstrCycles(p: ChipParams, rows: number, mask: readonly boolean[], pack = false): InstrCycles {
  if (!mask.includes(true)) return { cycles: SEQ_OVERHEAD.nop, core: 0, exact: true };
  const words = gatherWords(p.bus, Array.from({ length: p.banks }, () => rows), mask, pack);
  const core = gatherCycles(p.bus, words);
  const beats = Math.max(0, ...words);
  const g = p.b2m;
  // The controller compacts each beat to the words of the dies that sent one.
  const linkUnits = p.bus.link_bits / g.unit;
  const units = Array.from({ length: beats }, (_, i) => words.filter((w) => w > i).length * linkUnits);
  // First beat into the converter at t0 + 1 (command) + GATHER_COMMAND_LATENCY + λ.
  const first = 1 + GATHER_COMMAND_LATENCY + p.bus.latency;
  const last = first + gearboxSteps(g.in_units, g.out_units, units);
  const cycles = last + 1;
  // Equal widths: core + SEQ_OVERHEAD.gather.
  return { cycles, core, exact: true };
}

/** The ALU op of a vop's `alu` field, or undefined when the field is not an op the chip built. */
export function aluOp(p: ChipParams, alu: number): CtrlOp | undefined {
  return builtAluOp(p.valu.ops, alu);
}

/** vop: the ALU op's cycles, plus the sequencer's, plus the converter's drain into CMEM. */
export function vopCycles(p: ChipParams, d: Derived, alu: number, len: number): InstrCycles {
  const op = aluOp(p, alu);
  // len 0, or an alu that is no ALU op built: the sequencer treats it as a nop.
  if (len === 0 || op === undefined) return { cycles: SEQ_OVERHEAD.nop, core: 0, exact: true };
  const core = ctrlOpCycles(ctrlShape(d), op, len);
  const outLen = op === "sum" || op === "max" ? 1 : len;
  const lanes = p.valu.lanes;
  const g = p.v2m;
  const yBeats = Math.ceil(outLen / lanes);
  // The ALU's last output beat is at edge t0 + 3 + core - 1; the converter's first input edge is
  // yBeats - 1 before it (output beats are back to back).
  const lastY = 2 + core;
  const drain = gearboxDrain(g.in_units, g.out_units, yBeats, outLen);
  const last = lastY - (yBeats - 1) + drain;
  const exact = p.host_elems >= lanes;
  // Estimate when a CMEM word holds fewer elements than the ALU's lanes: the load pass waits for
  // the extra words.
  const starve = exact ? 0 : Math.ceil(len / p.host_elems) - Math.ceil(len / lanes);
  return { cycles: last + 1 + starve, core, exact };
}

/**
 * Cycles of one instruction (see the table in the header). A gather's cycles depend on the results
 * waiting in the packers: `gatherRows` is the rows of the GEMV being gathered (programCycles
 * tracks it).
 */
export function instructionCycles(p: ChipParams, d: Derived, instr: Instruction, gatherRows = 0, gatherPack = false): InstrCycles {
  const n = (v: number | bigint): number => Number(v);
  switch (instr.op) {
    case "nop":
      return { cycles: SEQ_OVERHEAD.nop, core: 0, exact: true };
    case "wr_cmem":
    case "wr_cram":
      return n(instr.n) === 0 ? { cycles: SEQ_OVERHEAD.nop, core: 0, exact: true } : { cycles: n(instr.n) + SEQ_OVERHEAD.write, core: n(instr.n), exact: true };
    case "rd_cmem":
      return n(instr.n) === 0 ? { cycles: SEQ_OVERHEAD.nop, core: 0, exact: true } : { cycles: n(instr.n) + SEQ_OVERHEAD.read, core: n(instr.n), exact: true };
    case "ld_bmem":
      return ldBmemCycles(p, n(instr.n));
    case "bcast":
      return bcastCycles(p, n(instr.n));
    case "gemv":
    {
      const g = gemvShape(instr);
      return gemvInstrCycles(d, g.rows, g.cols, g.kv, g.batch);
    }
    case "gather": {
      const m = BigInt(instr.mask);
      return gatherInstrCycles(p, gatherRows, Array.from({ length: p.banks }, (_, k) => ((m >> BigInt(k)) & 1n) === 1n), gatherPack);
    }
    case "vop":
      return vopCycles(p, d, n(instr.alu), n(instr.len));
    case "st_bmem":
      return stBmemCycles(p, n(instr.n));
    case "cp_cram":
      return cpCramCycles(n(instr.n));
    case "st_vt":
      return stVtCycles(p, n(instr.n), n(instr.spread ?? 0));
  }
}

/** The shape of a GEMV's results in the packers: rows a bank, and whether element-packed. */
export interface DrainShape {
  rows: number;
  pack: boolean;
}

/**
 * Per instruction: for a gather, the shape of the GEMV whose results it drains (the last gemv
 * before it; with prev, the one before that), else null. A program before any gemv drains 0 rows.
 */
export function drainedShapes(program: readonly Instruction[]): (DrainShape | null)[] {
  let last: DrainShape = { rows: 0, pack: false };
  let before: DrainShape = { rows: 0, pack: false };
  return program.map((instr) => {
    if (instr.op === "gemv") {
      const { rows, pack } = gemvShape(instr);
      before = last;
      last = { rows, pack };
      return null;
    }
    if (instr.op !== "gather") return null;
    return Number(instr.prev ?? 0) === 1 ? before : last;
  });
}

/** Whether an instruction is a gather that waits for the banks (a non-empty mask, no prev). */
export function gatherWaits(instr: Instruction): boolean {
  return instr.op === "gather" && BigInt(instr.mask) !== 0n && Number(instr.prev ?? 0) !== 1;
}

/**
 * Cycles of each instruction of a program (accept edge to the next accept edge), with the banks'
 * GEMVs running beside the sequencer: a gemv starts the banks at the first edge at which they are
 * idle (one cycle after the previous GEMV's last result) and a gather sends its command then at
 * the earliest (a gather with prev at once: it drains the GEMV before the running one). The shape
 * of the results each gather drains comes from the program (drainedShapes).
 */
export function programCycles(p: ChipParams, d: Derived, program: readonly Instruction[]): InstrCycles[] {
  const shapes = drainedShapes(program);
  let t = 0; // accept edge of the instruction
  let idleEdge = 0; // first edge that can start a GEMV or a gather command
  return program.map((instr, i) => {
    const shape = shapes[i] ?? { rows: 0, pack: false };
    let c: InstrCycles;
    if (instr.op === "gemv") {
      const g0 = gemvShape(instr);
      const g = gemvInstrCycles(d, g0.rows, g0.cols, g0.kv, g0.batch);
      const start = Math.max(t + 1, idleEdge);
      idleEdge = start + g.core + 1;
      c = { cycles: start + 1 - t, core: g.core, exact: g.exact, wait: start - (t + 1) };
    } else if (gatherWaits(instr)) {
      const g = instructionCycles(p, d, instr, shape.rows, shape.pack);
      const wait = Math.max(0, idleEdge - (t + 1));
      c = { ...g, cycles: g.cycles + wait, wait };
    } else {
      c = instructionCycles(p, d, instr, shape.rows, shape.pack);
    }
    t += c.cycles;
    return c;
  });
}

/** The fan-out latency the bus formulas include (re-exported for reports). */
export const FANOUT_LATENCY = BROADCAST_FANOUT_LATENCY;
