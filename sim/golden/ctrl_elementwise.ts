// Golden models of the controller's streaming ALUs without tables: element-wise add and multiply,
// the reductions (sum, max) and requantisation. Bit-exact with templates/rtl/ctrl_ew.v.hbs,
// ctrl_reduce.v.hbs and ctrl_requant.v.hbs.
import type { CtrlParams } from "../../generator/rtl/ctrl_params.js";
import { checkCodes, roundShift, saturate } from "./ctrl_fixed.js";

function sameLength(a: readonly bigint[], b: readonly bigint[]): void {
  if (a.length !== b.length) throw new Error(`operand lengths differ: ${a.length} and ${b.length}`);
}

/** y = sat_A(a + b). */
export function goldenAdd(p: CtrlParams, a: readonly bigint[], b: readonly bigint[]): bigint[] {
  sameLength(a, b);
  checkCodes(a, p.a, "a");
  checkCodes(b, p.a, "b");
  return a.map((x, i) => saturate(x + b[i]!, p.a));
}

/** y = sat_A(round_half_up(a · b / 2^shift)), shift ∈ [0, 2^shBits). */
export function goldenMul(p: CtrlParams, a: readonly bigint[], b: readonly bigint[], shift: number): bigint[] {
  sameLength(a, b);
  checkCodes(a, p.a, "a");
  checkCodes(b, p.a, "b");
  if (!Number.isInteger(shift) || shift < 0 || shift >= 2 ** p.ew.shBits) throw new Error(`mul shift ${shift} out of range`);
  return a.map((x, i) => saturate(roundShift(x * b[i]!, shift), p.a));
}

/** Exact sum, sumBits wide (cannot overflow for len ≤ maxLen). */
export function goldenSum(p: CtrlParams, a: readonly bigint[]): bigint {
  checkCodes(a, p.a, "a");
  return a.reduce((s, x) => s + x, 0n);
}

export function goldenMax(p: CtrlParams, a: readonly bigint[]): bigint {
  checkCodes(a, p.a, "a");
  if (a.length === 0) throw new Error("max of an empty vector");
  return a.reduce((m, x) => (x > m ? x : m), a[0]!);
}

/** y = sat_A(round_half_up(x · mult / 2^shift)): accumulator → activation with scale mult / 2^shift. */
export function goldenRequant(p: CtrlParams, x: readonly bigint[], mult: bigint, shift: number): bigint[] {
  checkCodes(x, p.acc, "x");
  if (mult < 0n || mult >= 1n << BigInt(p.requant.multBits)) throw new Error(`requant mult ${mult} out of range`);
  if (!Number.isInteger(shift) || shift < 0 || shift >= 2 ** p.requant.shBits) throw new Error(`requant shift ${shift} out of range`);
  return x.map((v) => saturate(roundShift(v * mult, shift), p.a));
}
