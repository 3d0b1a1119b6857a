// Golden model of the controller's SiLU (templates/rtl/ctrl_silu.v.hbs), bit-exact.
//
// In and out: Q(A-1-F).F, F = frac. The input in offset binary (x + 2^(A-1)) splits into a table
// index (top tiBits) and lo (low loBits).
//   loBits = 0:  y = tab[i]                                  (the exactly rounded SiLU of every code)
//   loBits > 0:  y = sat_A(round_half_up(tab[i]·2^lo + (tab[i+1] - tab[i])·lo, loBits + xBits))
import type { CtrlParams } from "../../generator/rtl/ctrl_params.js";
import { checkCodes, roundShift, saturate } from "./ctrl_fixed.js";

export function goldenSiluOne(p: CtrlParams, x: bigint): bigint {
  const s = p.silu;
  const off = x + (1n << BigInt(p.a - 1));
  const i = Number(off >> BigInt(s.loBits));
  if (s.loBits === 0) return BigInt(s.tab[i]!);
  const lo = off & ((1n << BigInt(s.loBits)) - 1n);
  const t0 = BigInt(s.tab[i]!);
  const t1 = BigInt(s.tab[i + 1]!);
  return saturate(roundShift((t0 << BigInt(s.loBits)) + (t1 - t0) * lo, s.loBits + s.xBits), p.a);
}

export function goldenSilu(p: CtrlParams, x: readonly bigint[]): bigint[] {
  checkCodes(x, p.a, "x");
  return x.map((v) => goldenSiluOne(p, v));
}
