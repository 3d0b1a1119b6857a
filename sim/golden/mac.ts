// Golden model of <name>_mac_array's arithmetic: exact products and sums in BigInt, then the
// overflow rule: two's-complement wrap-around, the result modulo 2^acc_bits read as signed.

/** Field `index` of `bits` bits of `word` (field 0 in the lowest bits), as a signed number. */
export function signedField(word: bigint, index: number, bits: number): bigint {
  return BigInt.asIntN(bits, word >> BigInt(index * bits));
}

/** Pack signed values into a word, value 0 in the lowest bits. */
export function packFields(values: readonly bigint[], bits: number): bigint {
  let word = 0n;
  for (let i = values.length - 1; i >= 0; i--) word = (word << BigInt(bits)) | BigInt.asUintN(bits, values[i]!);
  return word;
}

export interface Beat {
  weights: readonly bigint[];
  activations: readonly bigint[];
  /** Lanes that take part; a masked lane contributes 0. */
  mask: readonly boolean[];
}

export interface Dot {
  /** The exact dot product. */
  exact: bigint;
  /** What the hardware returns: exact modulo 2^acc_bits, signed. */
  value: bigint;
  /** True when exact is outside the signed acc_bits range (the result wrapped). */
  wrapped: boolean;
}

export function wrap(exact: bigint, accBits: number): Dot {
  const value = BigInt.asIntN(accBits, exact);
  return { exact, value, wrapped: value !== exact };
}

/** One dot product: the beats from in_first to in_last. */
export function macDot(beats: readonly Beat[], accBits: number): Dot {
  let exact = 0n;
  for (const b of beats) {
    b.mask.forEach((on, i) => {
      if (on) exact += b.weights[i]! * b.activations[i]!;
    });
  }
  return wrap(exact, accBits);
}
