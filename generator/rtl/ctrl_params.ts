// Fixed-point formats and lookup tables of the controller's vector ALUs, computed once per spec.
// The RTL generator emits these tables into the Verilog; the golden models (sim/golden/ctrl_*.ts)
// use the very same tables, so RTL and golden are bit-exact and the float comparison measures the
// approximation alone. Floats appear here only to COMPUTE table entries; everything downstream is
// integer arithmetic.
//
// Notation: A = numerics.activation_bits, N = chip.controller.vector_lanes. "Q m.f" is a signed
// A-bit integer whose value is code × 2^-f. Rounding is round-half-up everywhere: add 2^(s-1),
// shift right arithmetically by s (RISC-V vxrm "rnu", Arm SRSHR); ties go towards +∞.
// Saturation clamps to [-2^(A-1), 2^(A-1) - 1].
import { UserError } from "../errors.js";
import { RTL_ACTIVATION_BITS } from "../spec/checks.js";
import {
  bitLength,
  CTRL_OPS,
  clog2,
  ctrlShape,
  rmsMeanFracBits,
  rmsQuotientBits,
  rmsSumSquaresBits,
  rmsTableBits,
  softmaxQuotientBits,
  type CtrlOp,
} from "../model/cycles-controller.js";
import type { LoadedSpec } from "../spec/load.js";

/** LLaMA's rotary base (rope_theta). */
export const ROPE_THETA = 10000;
/** log2(e) is held with this many fractional bits. */
export const LOG2E_FRAC = 16;
/** RoPE phase: fraction of a turn, this many bits. */
export const ROPE_PHASE_BITS = 32;

export const MIN_ACTIVATION_BITS = RTL_ACTIVATION_BITS.min;
export const MAX_ACTIVATION_BITS = RTL_ACTIVATION_BITS.max;

export interface SoftmaxParams {
  /** Longest score vector (workload.context_len); the buffer holds it. */
  maxLen: number;
  /** Buffer words: ceil(maxLen / N). */
  depth: number;
  /** Input scores: Q(A-1-inFrac).inFrac. */
  inFrac: number;
  /** Output probabilities: signed A-bit, value = code × 2^-outFrac (outFrac = A - 1). */
  outFrac: number;
  /** Index bits of the 2^-r table (r ∈ [0,1) in steps of 2^-tBits). */
  tBits: number;
  /** Fractional bits of exp values: e ∈ [0, 1] is an unsigned integer ≤ 2^eBits. */
  eBits: number;
  /** round(log2(e) · 2^LOG2E_FRAC). */
  log2e: number;
  /** Bits of u = max - x (unsigned). */
  uBits: number;
  /** Bits of t = u · log2e. */
  tProdBits: number;
  /** t is rounded to tBits fractional bits: shift = inFrac + LOG2E_FRAC - tBits. */
  tShift: number;
  /** Bits of the rounded t (integer part k and fraction r). */
  trBits: number;
  /** Bits of the sum of exps. */
  sumBits: number;
  /** Reciprocal R = floor(2^z / sum). */
  z: number;
  /** Quotient bits of R (= divider cycles). */
  qBits: number;
  /** Output code = (e · R + 2^(outShift-1)) >> outShift, outShift = z - outFrac. */
  outShift: number;
  /** pow2[r] = round(2^(-r / 2^tBits) · 2^eBits), r = 0 … 2^tBits - 1. pow2[0] = 2^eBits. */
  pow2: number[];
}

export interface RmsnormParams {
  /** Longest vector (model.hidden_size); the buffer holds it. */
  maxLen: number;
  depth: number;
  /** Output: Q(A-1-outFrac).outFrac. */
  outFrac: number;
  /** Gamma (the norm weight): Q1.(A-2), range [-2, 2). */
  gFrac: number;
  /** Bits of Σx². */
  ssBits: number;
  /** Fractional bits of the mean (even). */
  meanFrac: number;
  /** Quotient bits of the mean (= divider cycles). */
  qBits: number;
  /** Bits of m' = mean + 1 (the +1 is the epsilon: 2^-meanFrac in code² units). */
  mBits: number;
  /** Index bits of the rsqrt table: the mantissa in [1, 4) is cut into 3 · 2^rtBits steps. */
  rtBits: number;
  /** rsqrt values are unsigned rbBits-bit integers: rsqrt(mant) · 2^rbBits. */
  rbBits: number;
  /** y = round(x · g · rsq >> (shift0 + s/2)); s = the even exponent of m'. */
  shift0: number;
  /** Largest exponent s. */
  sMax: number;
  /** Bits of s. */
  sBits: number;
  /** rsq[i] = round(2^rbBits / sqrt((2^rtBits + i + 1/2) / 2^rtBits)), i = 0 … 3·2^rtBits - 1. */
  rsq: number[];
}

export interface SiluParams {
  /** Input and output: Q(A-1-frac).frac. */
  frac: number;
  /** Table index bits: the top tiBits of the input (offset binary). */
  tiBits: number;
  /** Low input bits used for linear interpolation (A - tiBits; 0 = direct table). */
  loBits: number;
  /** Extra fractional bits of table entries when interpolating (0 for a direct table). */
  xBits: number;
  /** Bits of a (signed) table entry. */
  tabBits: number;
  /** Table: 2^tiBits entries (+1 knot when interpolating). */
  tab: number[];
}

export interface RopeParams {
  /** model head_dim: pairs (x[2i], x[2i+1]) of each head are rotated by pos · θ^(-2i/headDim). */
  headDim: number;
  /** headDim / 2: pair index range. */
  pairs: number;
  /** Lane pairs per beat: N / 2. */
  lanePairs: number;
  /** pos: 0 … workload.context_len - 1. */
  posBits: number;
  /** freq[p] = round(θ^(-2p/headDim) / (2π) · 2^ROPE_PHASE_BITS): turns per position, fixed point. */
  freq: number[];
  /** Index bits of the cos table (one full turn): the top ctBits of the phase. */
  ctBits: number;
  /** Phase bits below the index used to interpolate linearly between table entries. */
  fBits: number;
  /** Bits of a cos/sin value: signed, value = code × 2^-(csBits-2), so ±1.0 is exact. */
  csBits: number;
  /** cos[i] = round(cos(2π i / 2^ctBits) · 2^(csBits-2)). */
  cos: number[];
  /** Bits of the pair index counter. */
  pBits: number;
}

export interface CtrlParams {
  /** Module-name prefix (spec.name). */
  name: string;
  /** Activation bits A. */
  a: number;
  /** Accumulator bits. */
  acc: number;
  /** Lanes N. */
  lanes: number;
  /** The ops the RTL builds (chip.controller.vector_ops, in opcode order; default all). */
  ops: readonly CtrlOp[];
  /** Longest vector any ALU streams (max of hidden, intermediate, vocab and context lengths). */
  maxLen: number;
  /** Bits of the len port: clog2(maxLen + 1). */
  lenBits: number;
  /** Quotient bits the serial divider computes a cycle (chip.controller.divider_bits). */
  divBits: number;
  ew: { shBits: number };
  reduce: { sumBits: number };
  requant: { multBits: number; shBits: number };
  softmax: SoftmaxParams;
  rmsnorm: RmsnormParams;
  silu: SiluParams;
  rope: RopeParams;
}

function silu(x: number): number {
  return x / (1 + Math.exp(-x));
}

/** Math.round is round-half-up (ties to +∞) for both signs: the convention of the whole ALU. */
const roundHalfUp = Math.round;

function softmaxParams(a: number, maxLen: number, lanes: number): SoftmaxParams {
  const inFrac = Math.floor(a / 2);
  const outFrac = a - 1;
  const tBits = Math.min(a + 1, 10);
  const eBits = a + 4;
  const log2e = roundHalfUp(Math.LOG2E * 2 ** LOG2E_FRAC);
  const uBits = a;
  const tProdBits = uBits + bitLength(log2e);
  const tShift = inFrac + LOG2E_FRAC - tBits;
  const trBits = bitLength(((2n ** BigInt(uBits) - 1n) * BigInt(log2e) + (1n << BigInt(tShift - 1))) >> BigInt(tShift));
  const qBits = softmaxQuotientBits(a);
  const z = qBits + eBits - 1;
  const pow2 = Array.from({ length: 2 ** tBits }, (_, r) => roundHalfUp(2 ** (-r / 2 ** tBits) * 2 ** eBits));
  return {
    maxLen,
    depth: Math.ceil(maxLen / lanes),
    inFrac,
    outFrac,
    tBits,
    eBits,
    log2e,
    uBits,
    tProdBits,
    tShift,
    trBits,
    sumBits: eBits + bitLength(maxLen),
    z,
    qBits,
    outShift: z - outFrac,
    pow2,
  };
}

function rmsnormParams(a: number, maxLen: number, lanes: number): RmsnormParams {
  const outFrac = Math.floor(a / 2);
  const gFrac = a - 2;
  const ssBits = rmsSumSquaresBits(a, maxLen);
  const meanFrac = rmsMeanFracBits(a, maxLen);
  const qBits = rmsQuotientBits(a, maxLen);
  const mBits = qBits + 1;
  const rtBits = rmsTableBits(a);
  const rbBits = a + 6;
  const shift0 = rbBits + gFrac - outFrac - meanFrac / 2;
  const sMax = (mBits - 1) & ~1;
  const rsq = Array.from({ length: 3 * 2 ** rtBits }, (_, i) =>
    roundHalfUp(2 ** rbBits / Math.sqrt((2 ** rtBits + i + 0.5) / 2 ** rtBits)),
  );
  return {
    maxLen,
    depth: Math.ceil(maxLen / lanes),
    outFrac,
    gFrac,
    ssBits,
    meanFrac,
    qBits,
    mBits,
    rtBits,
    rbBits,
    shift0,
    sMax,
    sBits: bitLength(sMax),
    rsq,
  };
}

function siluParams(a: number): SiluParams {
  const frac = Math.floor(a / 2);
  const tiBits = Math.min(a, 10);
  const loBits = a - tiBits;
  const xBits = loBits > 0 ? 4 : 0;
  const lo = -(2 ** (a - 1));
  const hi = 2 ** (a - 1) - 1;
  const knots = loBits > 0 ? 2 ** tiBits + 1 : 2 ** tiBits;
  const tab = Array.from({ length: knots }, (_, i) => {
    const code = i * 2 ** loBits - 2 ** (a - 1);
    const v = roundHalfUp(silu(code * 2 ** -frac) * 2 ** (frac + xBits));
    return loBits > 0 ? v : Math.min(hi, Math.max(lo, v));
  });
  const maxAbs = Math.max(...tab.map((v) => (v < 0 ? -v - 1 : v)));
  return { frac, tiBits, loBits, xBits, tabBits: loBits > 0 ? bitLength(maxAbs) + 1 : a, tab };
}

function ropeParams(a: number, headDim: number, contextLen: number, lanes: number): RopeParams {
  const pairs = headDim / 2;
  const ctBits = Math.min(a + 2, 9);
  const fBits = a + 4;
  const csBits = a + 4;
  const freq = Array.from({ length: pairs }, (_, p) =>
    roundHalfUp((ROPE_THETA ** ((-2 * p) / headDim) / (2 * Math.PI)) * 2 ** ROPE_PHASE_BITS),
  );
  const cos = Array.from({ length: 2 ** ctBits }, (_, i) =>
    roundHalfUp(Math.cos((2 * Math.PI * i) / 2 ** ctBits) * 2 ** (csBits - 2)),
  );
  return {
    headDim,
    pairs,
    lanePairs: lanes / 2,
    posBits: Math.max(1, clog2(contextLen)),
    freq,
    ctBits,
    fBits,
    csBits,
    cos,
    pBits: Math.max(1, clog2(pairs)),
  };
}

/** The controller ALUs' formats and tables for a spec. Throws UserError when the spec is outside what they support. */
export function ctrlParams(loaded: LoadedSpec): CtrlParams {
  const { spec, derived } = loaded;
  const shape = ctrlShape(derived);
  const a = shape.activationBits;
  const lanes = shape.lanes;
  const m = derived.model;
  if (a < MIN_ACTIVATION_BITS || a > MAX_ACTIVATION_BITS) {
    throw new UserError(
      `numerics.activation_bits: ${a} is outside what the controller ALUs support; expected ${MIN_ACTIVATION_BITS} … ${MAX_ACTIVATION_BITS}`,
    );
  }
  const listed = spec.chip.controller.vector_ops;
  const ops = CTRL_OPS.filter((op) => listed === undefined || listed.includes(op));
  if (lanes % 2 !== 0 && ops.includes("rope")) {
    throw new UserError(
      `chip.controller.vector_lanes: ${lanes} is odd; the controller's RoPE rotates lane pairs, expected an even number such as ${lanes + 1}`,
    );
  }
  if (m.head_dim % 2 !== 0 || !Number.isInteger(m.head_dim)) {
    throw new UserError(`model: head_dim ${m.head_dim} (hidden_size / num_attention_heads) must be an even integer for RoPE`);
  }
  const maxLen = Math.max(m.hidden_size, m.intermediate_size, m.vocab_size, spec.workload.context_len);
  const multBits = a + 8;
  const reqShiftMax = spec.numerics.accumulator_bits + multBits - 1;
  return {
    name: spec.name,
    a,
    acc: spec.numerics.accumulator_bits,
    lanes,
    ops,
    maxLen,
    lenBits: clog2(maxLen + 1),
    divBits: shape.divBits,
    ew: { shBits: clog2(2 * a) },
    reduce: { sumBits: a + clog2(maxLen) },
    requant: { multBits, shBits: clog2(reqShiftMax + 1) },
    softmax: softmaxParams(a, spec.workload.context_len, lanes),
    rmsnorm: rmsnormParams(a, m.hidden_size, lanes),
    silu: siluParams(a),
    rope: ropeParams(a, m.head_dim, spec.workload.context_len, lanes),
  };
}
