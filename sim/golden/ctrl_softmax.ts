// Golden model of the controller's softmax (templates/rtl/ctrl_softmax.v.hbs), bit-exact.
//
//   m    = max x                                    (x: Q(A-1-F).F scores, F = inFrac)
//   u    = m - x                                    (≥ 0, A bits, units 2^-F)
//   t    = round_half_up(u · log2e_q, tShift)       (u·log2(e) with tBits fractional bits)
//   k, r = t >> tBits, t mod 2^tBits                (exp(-u) = 2^-k · 2^-(r / 2^tBits))
//   e    = k > eBits ? 0 : pow2[r] >> k             (unsigned, 2^eBits = 1.0)
//   S    = Σ e;  R = floor(2^z / S)                 (serial divider, qBits quotient bits)
//   y    = min(2^(A-1) - 1, round_half_up(e · R, outShift))   (Q0.(A-1) probabilities)
import type { CtrlParams } from "../../generator/rtl/ctrl_params.js";
import { checkCodes, maxSigned, roundShift } from "./ctrl_fixed.js";

/** exp(-u · 2^-F) as an unsigned fixed-point value with eBits fractional bits (the shared exp unit). */
export function goldenExpNeg(p: CtrlParams, u: bigint): bigint {
  const s = p.softmax;
  if (u < 0n || u >= 1n << BigInt(s.uBits)) throw new Error(`exp input ${u} out of range`);
  const t = roundShift(u * BigInt(s.log2e), s.tShift);
  const k = t >> BigInt(s.tBits);
  const r = Number(t & ((1n << BigInt(s.tBits)) - 1n));
  if (k > BigInt(s.eBits)) return 0n;
  return BigInt(s.pow2[r]!) >> k;
}

export interface SoftmaxTrace {
  max: bigint;
  exps: bigint[];
  sum: bigint;
  recip: bigint;
  y: bigint[];
}

export function goldenSoftmaxTrace(p: CtrlParams, x: readonly bigint[]): SoftmaxTrace {
  const s = p.softmax;
  checkCodes(x, p.a, "x");
  if (x.length < 1 || x.length > s.maxLen) throw new Error(`softmax length ${x.length} outside 1 … ${s.maxLen}`);
  const max = x.reduce((m, v) => (v > m ? v : m), x[0]!);
  const exps = x.map((v) => goldenExpNeg(p, max - v));
  const sum = exps.reduce((a, b) => a + b, 0n);
  const recip = (1n << BigInt(s.z)) / sum;
  const top = maxSigned(p.a);
  const y = exps.map((e) => {
    const v = roundShift(e * recip, s.outShift);
    return v > top ? top : v;
  });
  return { max, exps, sum, recip, y };
}

export function goldenSoftmax(p: CtrlParams, x: readonly bigint[]): bigint[] {
  return goldenSoftmaxTrace(p, x).y;
}
