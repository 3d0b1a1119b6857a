// Accuracy of the controller ALUs against float: the golden model (bit-exact with the RTL) versus
// the float function on the same quantised inputs, so the numbers measure the ALU's
// approximation alone (tables, rounding, saturation), not the input quantisation.
//
// Errors are in LSBs of the op's output format. "vs representable" compares with the float result
// clamped to the output's range (what any A-bit result could at best be); "absolute" with the
// float result itself, so it includes saturation.
import type { CtrlParams } from "../../generator/rtl/ctrl_params.js";
import { goldenMul, goldenRequant } from "../golden/ctrl_elementwise.js";
import { maxSigned, minSigned } from "../golden/ctrl_fixed.js";
import { floatRmsnorm, floatRope, floatSilu, floatSoftmax } from "../golden/ctrl_float.js";
import { goldenRmsnormTrace } from "../golden/ctrl_rmsnorm.js";
import { goldenRope } from "../golden/ctrl_rope.js";
import { goldenSilu } from "../golden/ctrl_silu.js";
import { goldenSoftmaxTrace } from "../golden/ctrl_softmax.js";
import type { Prng } from "../prng.js";
import { randInt } from "./ctrl_sim.js";

export interface ErrorStats {
  /** Largest |golden - float(clamped to the output range)|, in output LSBs. */
  max_lsb: number;
  /** Mean of the same. */
  mean_lsb: number;
  /** Largest |golden - float| in output LSBs, saturation included. */
  max_abs_lsb: number;
  count: number;
}

export interface ErrorAccumulator {
  add(golden: bigint, floatCode: number): void;
  stats(): ErrorStats;
}

/** Collects errors of A-bit results; floatCode is the float result in output LSBs (code units). */
export function errorAccumulator(bits: number): ErrorAccumulator {
  const lo = Number(minSigned(bits));
  const hi = Number(maxSigned(bits));
  let max = 0;
  let sum = 0;
  let maxAbs = 0;
  let count = 0;
  return {
    add(golden, floatCode) {
      const g = Number(golden);
      const e = Math.abs(g - Math.min(hi, Math.max(lo, floatCode)));
      max = Math.max(max, e);
      maxAbs = Math.max(maxAbs, Math.abs(g - floatCode));
      sum += e;
      count++;
    },
    stats: () => ({ max_lsb: max, mean_lsb: count > 0 ? sum / count : 0, max_abs_lsb: maxAbs, count }),
  };
}

function codes(rng: Prng, n: number, bits: number): bigint[] {
  return Array.from({ length: n }, () => rng.signed(bits));
}

/** Score vectors: random spreads (all bits, a few bits), and the edge cases. */
export function softmaxVectors(p: CtrlParams, rng: Prng, random: number): bigint[][] {
  const L = p.softmax.maxLen;
  const A = p.a;
  const lo = minSigned(A);
  const hi = maxSigned(A);
  const out: bigint[][] = [];
  for (let k = 0; k < random; k++) out.push(codes(rng, randInt(rng, 1, L), randInt(rng, 2, A)));
  out.push(Array.from({ length: L }, () => 0n)); // zeros: uniform
  out.push(Array.from({ length: L }, () => hi)); // all equal, largest
  out.push(Array.from({ length: L }, () => lo)); // all equal, most negative
  out.push(Array.from({ length: L }, (_, i) => (i === 0 ? hi : lo))); // one very large, rest very negative: p ≈ 1
  out.push(Array.from({ length: L }, (_, i) => (i < 2 ? hi : lo))); // two tied maxima: p = 1/2
  out.push([lo]);
  out.push([hi, hi - 1n]);
  return out;
}

export interface SoftmaxAccuracy extends ErrorStats {
  /** Largest |Σ probabilities - 1| over the vectors (a float quantity). */
  max_sum_error: number;
}

export function softmaxAccuracy(p: CtrlParams, vectors: readonly bigint[][]): SoftmaxAccuracy {
  const s = p.softmax;
  const acc = errorAccumulator(p.a);
  let maxSum = 0;
  for (const x of vectors) {
    const g = goldenSoftmaxTrace(p, x).y;
    const f = floatSoftmax(x.map((v) => Number(v) * 2 ** -s.inFrac));
    g.forEach((v, i) => acc.add(v, f[i]! * 2 ** s.outFrac));
    maxSum = Math.max(maxSum, Math.abs(g.reduce((a, v) => a + Number(v), 0) * 2 ** -s.outFrac - 1));
  }
  return { ...acc.stats(), max_sum_error: maxSum };
}

export interface RmsnormAccuracy extends ErrorStats {
  /** Largest relative error of the scale factor rsq · 2^-(shift) against 1 / sqrt(mean(x²) + eps). */
  max_rel_scale_error: number;
}

export function rmsnormVectors(p: CtrlParams, rng: Prng, random: number): { x: bigint[]; g: bigint[] }[] {
  const H = p.rmsnorm.maxLen;
  const A = p.a;
  const lo = minSigned(A);
  const hi = maxSigned(A);
  const one = 1n << BigInt(p.rmsnorm.gFrac); // gamma = 1.0
  const out: { x: bigint[]; g: bigint[] }[] = [];
  for (let k = 0; k < random; k++) {
    const n = randInt(rng, 1, H);
    out.push({ x: codes(rng, n, randInt(rng, 2, A)), g: k % 2 ? codes(rng, n, A) : Array.from({ length: n }, () => one) });
  }
  const fill = (v: (i: number) => bigint): bigint[] => Array.from({ length: H }, (_, i) => v(i));
  out.push({ x: fill(() => 0n), g: fill(() => one) }); // zeros
  out.push({ x: fill(() => lo), g: fill(() => one) }); // max magnitude: y = -1
  out.push({ x: fill(() => hi), g: fill(() => lo) }); // max magnitude, gamma = -2
  out.push({ x: fill((i) => (i === 0 ? hi : 0n)), g: fill(() => one) }); // one-hot: y = sqrt(H), saturates when large
  out.push({ x: fill((i) => (i % 2 ? 1n : -1n)), g: fill(() => one) }); // smallest non-zero magnitude
  out.push({ x: [hi], g: [one] });
  return out;
}

export function rmsnormAccuracy(p: CtrlParams, vectors: readonly { x: bigint[]; g: bigint[] }[]): RmsnormAccuracy {
  const r = p.rmsnorm;
  const acc = errorAccumulator(p.a);
  const eps = 2 ** -r.meanFrac;
  let maxRel = 0;
  for (const { x, g } of vectors) {
    const t = goldenRmsnormTrace(p, x, g);
    const xf = x.map(Number);
    const f = floatRmsnorm(xf, g.map((v) => Number(v) * 2 ** -r.gFrac), eps);
    t.y.forEach((v, i) => acc.add(v, f[i]! * 2 ** r.outFrac));
    // The scale the hardware applies to x·g: rsq / 2^(shift0 + s/2) in y-code units.
    const scale = Number(t.rsq) * 2 ** -(r.shift0 + t.s / 2 + r.outFrac - r.gFrac);
    const exact = 1 / Math.sqrt(xf.reduce((a, v) => a + v * v, 0) / x.length + eps);
    maxRel = Math.max(maxRel, Math.abs(scale / exact - 1));
  }
  return { ...acc.stats(), max_rel_scale_error: maxRel };
}

/** SiLU over every input code (exhaustive). */
export function siluAccuracy(p: CtrlParams): ErrorStats {
  const acc = errorAccumulator(p.a);
  const lo = Number(minSigned(p.a));
  const all = Array.from({ length: 2 ** p.a }, (_, i) => BigInt(lo + i));
  const y = goldenSilu(p, all);
  all.forEach((x, i) => acc.add(y[i]!, floatSilu(Number(x) * 2 ** -p.silu.frac) * 2 ** p.silu.frac));
  return acc.stats();
}

export function ropeVectors(p: CtrlParams, rng: Prng, random: number): { x: bigint[]; pos: number }[] {
  const D = p.rope.headDim;
  const maxPos = 2 ** p.rope.posBits - 1;
  const lo = minSigned(p.a);
  const hi = maxSigned(p.a);
  const out: { x: bigint[]; pos: number }[] = [];
  for (let k = 0; k < random; k++) out.push({ x: codes(rng, D * randInt(rng, 1, 4), p.a), pos: randInt(rng, 0, maxPos) });
  for (let pos = 0; pos <= maxPos; pos += Math.max(1, Math.floor(maxPos / 16))) {
    out.push({ x: Array.from({ length: D }, (_, i) => (i % 2 ? hi : lo)), pos }); // max magnitude: saturates
    out.push({ x: Array.from({ length: D }, (_, i) => (i % 2 ? 0n : hi)), pos }); // |x| at full scale, no saturation
  }
  out.push({ x: codes(rng, D, p.a), pos: 0 }); // identity
  out.push({ x: codes(rng, D, p.a), pos: maxPos });
  return out;
}

export function ropeAccuracy(p: CtrlParams, vectors: readonly { x: bigint[]; pos: number }[]): ErrorStats {
  const acc = errorAccumulator(p.a);
  for (const { x, pos } of vectors) {
    const y = goldenRope(p, x, pos);
    const f = floatRope(x.map(Number), pos, p.rope.headDim);
    y.forEach((v, i) => acc.add(v, f[i]!));
  }
  return acc.stats();
}

/**
 * Requant and mul are exactly rounded: golden = clamp(floor(v + 1/2)) of the exact quotient v.
 * Returns the number of mismatches against that (computed in BigInt-free float, exact while the
 * product stays below 2^53) and the largest error vs representable.
 */
export function requantAccuracy(p: CtrlParams, rng: Prng, n: number): ErrorStats {
  const acc = errorAccumulator(p.a);
  const mb = p.requant.multBits;
  for (let k = 0; k < n; k++) {
    const x = codes(rng, 16, p.acc);
    const mult = rng.bits(mb);
    const shift = randInt(rng, 0, p.acc + mb - 1);
    const y = goldenRequant(p, x, mult, shift);
    x.forEach((v, i) => acc.add(y[i]!, (Number(v) * Number(mult)) / 2 ** shift));
  }
  return acc.stats();
}

export function mulAccuracy(p: CtrlParams, rng: Prng, n: number): ErrorStats {
  const acc = errorAccumulator(p.a);
  for (let k = 0; k < n; k++) {
    const a = codes(rng, 16, p.a);
    const b = codes(rng, 16, p.a);
    const shift = randInt(rng, 0, 2 * p.a - 1);
    const y = goldenMul(p, a, b, shift);
    a.forEach((v, i) => acc.add(y[i]!, (Number(v) * Number(b[i]!)) / 2 ** shift));
  }
  return acc.stats();
}
