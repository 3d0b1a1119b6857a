// Fixed-point primitives shared by the controller ALUs' golden models: integer (bigint) only.
//
// Rounding: round-half-up, (x + 2^(s-1)) >> s with an arithmetic (floor) shift; s = 0 leaves x.
// Saturation: clamp to the signed range of `bits`.

export function roundShift(x: bigint, shift: number): bigint {
  if (shift < 0) throw new Error(`roundShift: negative shift ${shift}`);
  if (shift === 0) return x;
  const s = BigInt(shift);
  return (x + (1n << (s - 1n))) >> s;
}

export function minSigned(bits: number): bigint {
  return -(1n << BigInt(bits - 1));
}

export function maxSigned(bits: number): bigint {
  return (1n << BigInt(bits - 1)) - 1n;
}

export function saturate(x: bigint, bits: number): bigint {
  const lo = minSigned(bits);
  const hi = maxSigned(bits);
  return x < lo ? lo : x > hi ? hi : x;
}

/** True when x fits the signed range of `bits`. */
export function fitsSigned(x: bigint, bits: number): boolean {
  return x >= minSigned(bits) && x <= maxSigned(bits);
}

/** Index of the most significant set bit of a positive x. */
export function msbIndex(x: bigint): number {
  if (x <= 0n) throw new Error(`msbIndex: ${x} is not positive`);
  let b = -1;
  let v = x;
  while (v > 0n) {
    v >>= 1n;
    b++;
  }
  return b;
}

/** Elements of a vector must be A-bit signed codes. */
export function checkCodes(xs: readonly bigint[], bits: number, what: string): void {
  for (const [i, x] of xs.entries()) {
    if (!fitsSigned(x, bits)) throw new Error(`${what}[${i}] = ${x} does not fit ${bits} signed bits`);
  }
}
