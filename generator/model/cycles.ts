// The cycle model of the operations the generated RTL runs. It is the cycle view of the analytical
// model (decode.ts divides the same work by cycleRates), refined to what the hardware does per row:
//
//   GEMV of `rows` x `cols` on one bank (the same formulas as decode.ts's weight GEMVs):
//     memory  = rows x words_per_row          words_per_row = ceil(cols x weight_bits / read_bits):
//                                             the bytes the bank reads (decode.ts bankReadBytes: each
//                                             row padded to whole read_bits words) / bytes per cycle
//     compute = rows x ceil(cols / mac_lanes) MAC beats: each row rounded up to whole beats
//     stream  = max(memory, compute)          one beat per cycle, back to back across rows; the RTL
//                                             builds lanes = min(mac_lanes, weights per word), which
//                                             gives exactly this (mac_lanes divides the weights per
//                                             word, or the memory term dominates)
//     cycles  = stream + latency              latency = 3 + ceil(log2 lanes), once per GEMV
//
//   GEMV in KV mode (bankGemvCycles(d, rows, cols, { kv: true }); the bank's cmd_kv = 1: rows of
//   kv_bits fields, attention on the KV cache): the same formulas with kv_bits in the memory term,
//     memory  = rows x words_per_row          words_per_row = ceil(cols x kv_bits / read_bits)
//                                             = ceil(cols / kv_per_word), kv_per_word = read_bits / kv_bits
//     compute = rows x ceil(cols / mac_lanes)
//     stream  = max(memory, compute, rows)    = rows x max(1, ceil(cols / lanes), ceil(cols / kv_per_word))
//     cycles  = stream + latency              the same latency as weight mode
//   In the RTL: a KV beat of lanes x kv_bits bits that fits in a BMEM word (a word then holds
//   read_bits / (lanes x kv_bits) beats) is issued in one cycle, like a weight beat, so a row takes
//   max(1, ceil(cols / lanes)) cycles (≥ ceil(cols / kv_per_word), as kv_per_word ≥ lanes). A wider
//   beat spans kv_words_per_beat = lanes x kv_bits / read_bits words; the bank reads them one per
//   cycle, a row's last beat only the words that hold its columns, and issues the beat with its
//   last word, so a row takes max(1, ceil(cols / kv_per_word)) cycles: one BMEM word per cycle, the
//   memory roofline. Both are the max above; with lanes = min(mac_lanes, weights per word) the
//   model's ceil(cols / mac_lanes) gives the same max (when mac_lanes exceeds the weights per word,
//   ceil(cols / kv_per_word) ≥ ceil(cols / lanes) ≥ ceil(cols / mac_lanes)). The next command is
//   accepted in the cycle of the last BMEM read, in either mode.
//
//   GEMM of `rows` x `cols` against B activation vectors (bankGemvCycles(d, rows, cols, { batch: B });
//   the bank's cmd_batch = B, prefill's batch tiling, seed 3.2.2): each beat's weights are read once
//   and issued B times, one vector per cycle, into B accumulators,
//     memory  = rows x words_per_row          the weights are read once for the whole tile
//     compute = B x rows x ceil(cols / lanes) lanes = the multipliers built, min(mac_lanes, weights
//                                             per word): the RTL does not spread a tile over lanes
//                                             the bank memory cannot feed (prefill.ts counts
//                                             mac_lanes; the two agree when mac_lanes ≤ weights per word)
//     stream  = max(memory, compute, rows)    = B x rows x max(1, ceil(cols / lanes))
//     cycles  = stream + latency              the same latency; results come out row-major
//                                             (row r for vectors 0 .. B-1, one per cycle)
//
// The latency, counted from the edge that accepts the command to the edge that accepts the last
// result: 1 cycle from the command to the first BMEM/BRAM read, 1 product register, ceil(log2 lanes)
// adder-tree registers, 1 accumulator/output register. The stream term counts the last beat's
// read edge, the latency the edges after it. Back-to-back GEMVs pay the latency once: the bank
// takes the next command in the cycle of the last beat.
import type { Derived } from "../spec/derive.js";
import { bankReadBytes } from "./decode.js";
import { cycleRates } from "./rates.js";

/** Pipeline registers of a bank GEMV besides the adder tree: command→read, product, accumulator/output. */
export const GEMV_FIXED_LATENCY = 3;

export interface BankGeometry {
  read_bits: number;
  weight_bits: number;
  /** Weights in one BMEM word (read_bits / weight_bits). */
  weights_per_word: number;
  /** Multipliers the bank uses: min(chip.bank.mac_lanes, weights_per_word). */
  lanes: number;
  /** Beats per BMEM word (weights_per_word / lanes). */
  beats_per_word: number;
  /** Adder-tree levels: ceil(log2 lanes). */
  tree_levels: number;
  /** GEMV pipeline latency in cycles. */
  gemv_latency: number;
  kv_bits: number;
  /** KV fields in one BMEM word (read_bits / kv_bits). */
  kv_per_word: number;
  /** KV-mode beats per BMEM word: read_bits / (lanes × kv_bits) when ≥ 1, else 1. */
  kv_beats_per_word: number;
  /** BMEM words per KV-mode beat: lanes × kv_bits / read_bits when ≥ 1, else 1 (read one per cycle). */
  kv_words_per_beat: number;
}

export function bankGeometry(d: Derived): BankGeometry {
  const read_bits = Math.round(d.per_cycle.bank_bytes * 8);
  const weight_bits = Math.round(d.bytes.weight * 8);
  const weights_per_word = Math.floor(read_bits / weight_bits);
  const lanes = Math.min(d.per_cycle.bank_macs, weights_per_word);
  const tree_levels = Math.ceil(Math.log2(lanes));
  const kv_bits = Math.round(d.bytes.kv * 8);
  const kvBeatBits = lanes * kv_bits;
  return {
    read_bits,
    weight_bits,
    weights_per_word,
    lanes,
    beats_per_word: Math.max(1, Math.floor(weights_per_word / lanes)),
    tree_levels,
    gemv_latency: GEMV_FIXED_LATENCY + tree_levels,
    kv_bits,
    kv_per_word: Math.floor(read_bits / kv_bits),
    kv_beats_per_word: Math.max(1, Math.floor(read_bits / kvBeatBits)),
    kv_words_per_beat: Math.max(1, Math.floor(kvBeatBits / read_bits)),
  };
}

export interface GemvCycles {
  rows: number;
  cols: number;
  words_per_row: number;
  /** Beats of one row against one vector. */
  beats_per_row: number;
  /** Activation vectors (1: a GEMV). */
  batch: number;
  /** Cycles the bank memory port needs: bytes read / bank bytes per cycle. */
  memory: number;
  /** Cycles the MAC lanes need. */
  compute: number;
  /** max(memory, compute): cycles with a beat issued. */
  stream: number;
  latency: number;
  /** stream + latency. */
  total: number;
  /** The bandwidth roofline: rows x cols weight (KV mode: KV) bytes / bank bytes per cycle, unrounded. */
  roofline: number;
}

export interface GemvOptions {
  /** KV mode (the bank's cmd_kv = 1): rows of kv_bits fields instead of weight_bits. */
  kv?: boolean;
  /** GEMM (the bank's cmd_batch): activation vectors against the same rows; 1 or left out: a GEMV. Weight mode only. */
  batch?: number;
}

/** Activation vectors of a command: at least 1, and 1 in KV mode (the bank has no KV GEMM). */
export function gemmBatch(opts: GemvOptions): number {
  return opts.kv ? 1 : Math.max(1, opts.batch ?? 1);
}

/**
 * Cycles of a GEMV of `rows` x `cols` on one bank, from command accepted to last result accepted.
 * memory and compute are decode.ts's formulas for one bank's share of a weight GEMV (bankReadBytes
 * rounds each row to whole read_bits words; a row costs ceil(cols / mac_lanes) MAC beats), divided
 * by the cycle rates: the cycle view of the same model. `{ kv: true }`: the KV mode (rows of
 * kv_bits fields; see the header).
 */
export function bankGemvCycles(d: Derived, rows: number, cols: number, opts: GemvOptions = {}): GemvCycles {
  const g = bankGeometry(d);
  const r = cycleRates(d);
  const fieldBits = opts.kv ? g.kv_bits : g.weight_bits;
  const rowBytes = bankReadBytes(d, cols * fieldBits);
  const memory = (rows * rowBytes) / r.bank_bytes;
  const batch = gemmBatch(opts);
  const compute =
    batch === 1 ? (rows * Math.ceil(cols / r.bank_macs) * r.bank_macs) / r.bank_macs : batch * rows * Math.ceil(cols / g.lanes);
  // The RTL issues at least one (masked) beat per row, also when cols = 0.
  const stream = Math.max(memory, compute, rows);
  const latency = rows === 0 ? 0 : g.gemv_latency;
  return {
    rows,
    cols,
    words_per_row: rowBytes / r.bank_bytes,
    beats_per_row: rows === 0 ? 0 : stream / rows / batch,
    batch,
    memory,
    compute,
    stream,
    latency,
    total: stream + latency,
    roofline: (rows * cols * (opts.kv ? d.bytes.kv : d.bytes.weight)) / r.bank_bytes,
  };
}

/** A GEMV command presented to a bank at cycle `at` (cmd_valid from then until accepted). */
export interface GemvArrival {
  at: number;
  rows: number;
  cols: number;
  /** KV mode (cmd_kv = 1). */
  kv?: boolean;
  /** GEMM vectors (cmd_batch). */
  batch?: number;
}

export interface GemvTiming {
  /** Edge at which the bank accepts the command. */
  accept: number;
  /** Edge at which each result is accepted (res_ready always high), in delivery order (a GEMM: row-major). */
  results: number[];
  /** Edge of the last result, or of the accept when rows = 0. */
  done: number;
  cycles: GemvCycles;
}

/**
 * When a bank accepts a queue of GEMV commands and delivers each row, with res_ready always high.
 * A command is accepted once it is presented and the previous one has issued its last beat (in that
 * beat's cycle), and at least one cycle after the previous accept; row r's result comes
 * (r + 1) x beats_per_row + latency edges after the accept. A GEMM of B vectors issues row r's last
 * beat for vector t in slot (r x beats_per_row + beats_per_row - 1) x B + t: its result comes
 * that + 1 + latency edges after the accept.
 */
export function bankGemvSchedule(d: Derived, arrivals: readonly GemvArrival[]): GemvTiming[] {
  const out: GemvTiming[] = [];
  let free = -Infinity;
  for (const a of arrivals) {
    const cycles = bankGemvCycles(d, a.rows, a.cols, { kv: a.kv ?? false, batch: a.batch ?? 1 });
    const accept = Math.max(a.at, free);
    const b = cycles.batch;
    const results = Array.from(
      { length: a.rows * b },
      (_, i) => accept + (Math.floor(i / b) * cycles.beats_per_row + cycles.beats_per_row - 1) * b + (i % b) + 1 + cycles.latency,
    );
    out.push({ accept, results, done: results.length > 0 ? results[results.length - 1]! : accept, cycles });
    free = accept + Math.max(1, cycles.stream);
  }
  return out;
}
