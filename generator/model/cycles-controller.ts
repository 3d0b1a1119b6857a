// Cycle view of the controller's vector ALUs (generator/rtl/ctrl_*.ts, templates/rtl/ctrl_*.v.hbs).
//
// Every ALU streams a vector of `len` elements in and out, `vector_lanes` elements per beat, so a
// pass over the vector takes B = ceil(len / vector_lanes) beats. An operation's cycles are counted
// from the cycle of its first input handshake to the cycle of its last output handshake,
// inclusive, with the source always valid and the sink always ready:
//
//   cycles = passes × B + fixed latency
//
// The analytical model's intra-controller time (decode.ts) is elements / vector_lanes: the B term
// of a single pass. Softmax and RMSNorm read their vector more than once (max; sum of exp;
// normalise — sum of squares; scale) and wait for a serial divider, so their RTL cycles are a few
// passes plus a fixed latency; the formulas below are the exact count.
//
// The widths that set the divider latencies are defined here, and the RTL generator
// (generator/rtl/ctrl_params.ts) sizes the hardware with these same functions, so the formula and
// the hardware cannot drift apart.
import type { Derived } from "../spec/derive.js";
import { VECTOR_OPS, type VectorOp } from "../spec/schema.js";

/** ceil(log2(n)) for n ≥ 1 (the Verilog $clog2). */
export function clog2(n: number): number {
  let b = 0;
  while (2 ** b < n) b++;
  return b;
}

/** Bits needed to hold the unsigned integer n (0 for n = 0). */
export function bitLength(n: number | bigint): number {
  let v = BigInt(n);
  let b = 0;
  while (v > 0n) {
    v >>= 1n;
    b++;
  }
  return b;
}

/** Numeric facts of a spec that the controller's cycle formulas need. */
export interface CtrlShape {
  /** numerics.activation_bits */
  activationBits: number;
  /** chip.controller.vector_lanes */
  lanes: number;
  /** Longest vector RMSNorm normalises: the hidden size. */
  rmsMaxLen: number;
  /** Quotient bits the serial divider computes a cycle (chip.controller.divider_bits). */
  divBits: number;
}

export function ctrlShape(d: Derived): CtrlShape {
  return {
    activationBits: Math.round(d.bytes.activation * 8),
    lanes: d.per_cycle.controller_ops,
    rmsMaxLen: d.model.hidden_size,
    divBits: d.per_cycle.controller_div_bits,
  };
}

/** Beats of one pass over a vector of `len` elements. */
export function ctrlBeats(len: number, lanes: number): number {
  if (!Number.isInteger(len) || len < 1) throw new Error(`controller vector length must be a positive integer, got ${len}`);
  return Math.ceil(len / lanes);
}

/**
 * Cycles of the serial divider ({name}_ctrl_div) for `qw` quotient bits, `bits` a cycle
 * (chip.controller.divider_bits: that many restoring steps chained in one cycle): ceil(qw / bits).
 */
export function divCycles(qw: number, bits: number): number {
  return Math.ceil(qw / bits);
}

/** The divider's STEP for a `qw`-bit quotient: divider_bits, at most qw. */
export function divStep(qw: number, bits: number): number {
  return Math.min(bits, qw);
}

/** Softmax: quotient bits of the reciprocal 2^Z / sum (the divider computes them divider_bits a cycle). Output Q0.(A-1) plus 5 guard bits. */
export function softmaxQuotientBits(activationBits: number): number {
  return activationBits + 4;
}

/** RMSNorm: index bits of the 1/sqrt mantissa table. */
export function rmsTableBits(activationBits: number): number {
  return Math.min(activationBits, 8);
}

/**
 * RMSNorm: fractional bits kept in mean(x²) = Σx² / len. Even, so that √ halves the exponent
 * exactly; enough that the smallest non-zero mean (one ±1 in maxLen elements, 1/maxLen) still has
 * table-index precision: clog2(maxLen) + table bits + 2.
 */
export function rmsMeanFracBits(activationBits: number, maxLen: number): number {
  return 2 * Math.ceil((clog2(maxLen) + rmsTableBits(activationBits) + 2) / 2);
}

/** RMSNorm: bits of Σx² over at most `maxLen` A-bit elements (|x| ≤ 2^(A-1)). */
export function rmsSumSquaresBits(activationBits: number, maxLen: number): number {
  return bitLength(BigInt(maxLen) << BigInt(2 * activationBits - 2));
}

/** RMSNorm: quotient bits of mean = (Σx² · 2^MP) / len (the divider computes them divider_bits a cycle). */
export function rmsQuotientBits(activationBits: number, maxLen: number): number {
  return rmsSumSquaresBits(activationBits, maxLen) + rmsMeanFracBits(activationBits, maxLen);
}

/** Pipeline registers between an input beat and its output beat in the streaming ALUs. */
export const CTRL_PIPELINE = {
  ew: 2, // raw sum/product, round + saturate
  reduce: 1, // accumulate; result register
  requant: 2, // product, round + saturate
  silu: 2, // table lookup, interpolate + round + saturate
  rope: 5, // phase, cos/sin table pairs, interpolate, products, round + saturate
} as const;

/**
 * Softmax, three passes: load (max), sum of exp, normalise.
 *   load      B      beats in; the running max is final at the last beat's edge
 *   sum       B + 3  reads issued one per cycle; read, exponent split, exp; the last beat's
 *                    accumulate edge also starts the divider
 *   divider   D + 1  D = ceil(QW / divider_bits) cycles for QW quotient bits; the quotient is taken on
 *                    the cycle `done` is high
 *   normalise B + 5  reads; read, exponent split, exp, × reciprocal, round → output register. Its
 *                    reads are issued while the divider runs, from max(0, D - 2) cycles after the
 *                    sum (the first beat reaches the multiply, 4 edges after its read, as the
 *                    reciprocal arrives): the divider adds max(0, D - 2) cycles, not D + 1
 *   = 3·B + max(0, D - 2) + 8
 */
export function softmaxCycles(s: CtrlShape, len: number): number {
  return 3 * ctrlBeats(len, s.lanes) + Math.max(0, divCycles(softmaxQuotientBits(s.activationBits), s.divBits) - 2) + 8;
}

/**
 * RMSNorm, two passes: load (Σx²), scale.
 *   load      B      beats in; the last beat's edge also starts the divider on the final Σx²
 *   divider   D + 1  D = ceil(DW / divider_bits) cycles for DW quotient bits of the mean; the quotient
 *                    is taken on the cycle `done` is high
 *   rsqrt     1      normalise m' = mean + 1 to an even exponent, table lookup
 *   scale     B + 4  reads (with gamma); read, x·g, ×rsqrt, round → output register
 *   = 2·B + D + 6
 */
export function rmsnormCycles(s: CtrlShape, len: number): number {
  return 2 * ctrlBeats(len, s.lanes) + divCycles(rmsQuotientBits(s.activationBits, s.rmsMaxLen), s.divBits) + 6;
}

/** A vector ALU op (the spec's chip.controller.vector_ops). */
export type CtrlOp = VectorOp;

export const CTRL_OPS: readonly CtrlOp[] = VECTOR_OPS;

/** RoPE rotates lane pairs; it uses all lanes (vector_lanes is even, checked by the generator). */
export function ctrlOpCycles(s: CtrlShape, op: CtrlOp, len: number): number {
  const b = ctrlBeats(len, s.lanes);
  switch (op) {
    case "add":
    case "mul":
      return b + CTRL_PIPELINE.ew;
    case "sum":
    case "max":
      return b + CTRL_PIPELINE.reduce;
    case "requant":
      return b + CTRL_PIPELINE.requant;
    case "silu":
      return b + CTRL_PIPELINE.silu;
    case "rope":
      return b + CTRL_PIPELINE.rope;
    case "softmax":
      return softmaxCycles(s, len);
    case "rmsnorm":
      return rmsnormCycles(s, len);
  }
}
