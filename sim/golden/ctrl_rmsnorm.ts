// Golden model of the controller's RMSNorm (templates/rtl/ctrl_rmsnorm.v.hbs), bit-exact.
//
//   ss   = Σ x²                                  (x: A-bit codes, any scale: RMSNorm is scale-free)
//   mean = floor(ss · 2^MP / len)                (serial divider, MP = meanFrac fractional bits)
//   m'   = mean + 1                              (epsilon = 2^-MP in code² units; all-zero x gives 0)
//   s    = msb(m') rounded down to even          (m' / 2^s ∈ [1, 4))
//   i    = ((m' << RT) >> s) - 2^RT              (mantissa index, 3·2^RT entries)
//   rsq  = table[i]                              (≈ 2^RB / sqrt(mantissa), midpoint of the step)
//   y    = sat_A(round_half_up(x · g · rsq, shift0 + s/2))
// With g a Q1.(A-2) weight, y is Q(A-1-F).F with F = outFrac:
//   y ≈ x / sqrt(mean(x²) + 2^-MP) · g.
import type { CtrlParams } from "../../generator/rtl/ctrl_params.js";
import { checkCodes, msbIndex, roundShift, saturate } from "./ctrl_fixed.js";

export interface RmsnormTrace {
  ss: bigint;
  mean: bigint;
  s: number;
  index: number;
  rsq: bigint;
  y: bigint[];
}

export function goldenRmsnormTrace(p: CtrlParams, x: readonly bigint[], g: readonly bigint[]): RmsnormTrace {
  const r = p.rmsnorm;
  checkCodes(x, p.a, "x");
  checkCodes(g, p.a, "g");
  if (x.length !== g.length) throw new Error(`x and gamma lengths differ: ${x.length} and ${g.length}`);
  if (x.length < 1 || x.length > r.maxLen) throw new Error(`rmsnorm length ${x.length} outside 1 … ${r.maxLen}`);
  const ss = x.reduce((a, v) => a + v * v, 0n);
  const mean = (ss << BigInt(r.meanFrac)) / BigInt(x.length);
  const m1 = mean + 1n;
  const w = msbIndex(m1);
  const s = w - (w & 1);
  const index = Number(((m1 << BigInt(r.rtBits)) >> BigInt(s)) - (1n << BigInt(r.rtBits)));
  const rsq = BigInt(r.rsq[index]!);
  const shift = r.shift0 + s / 2;
  const y = x.map((v, i) => saturate(roundShift(v * g[i]! * rsq, shift), p.a));
  return { ss, mean, s, index, rsq, y };
}

export function goldenRmsnorm(p: CtrlParams, x: readonly bigint[], g: readonly bigint[]): bigint[] {
  return goldenRmsnormTrace(p, x, g).y;
}
