// Bit packing for the compiler: fields of `bits` bits packed from bit 0 up into words of
// `wordBits` (field i at bits [i × bits +: bits] of the stream; word 0 holds the lowest bits), the
// last word zero-padded. The chip's CMEM / CRAM / host words, BMEM words and bus words all hold
// their vectors this way.

const maskOf = (bits: number): bigint => (1n << BigInt(bits)) - 1n;

/** `values` (two's complement, `bits` each) as words of `wordBits`, the last zero-padded. */
export function packToWords(values: readonly bigint[], bits: number, wordBits: number): bigint[] {
  const words: bigint[] = Array.from({ length: Math.ceil((values.length * bits) / wordBits) }, () => 0n);
  const wordMask = maskOf(wordBits);
  values.forEach((v, i) => {
    const u = BigInt.asUintN(bits, v);
    const at = i * bits;
    let w = Math.floor(at / wordBits);
    let off = at % wordBits;
    let left = bits;
    let rest = u;
    while (left > 0) {
      const take = Math.min(left, wordBits - off);
      words[w] = words[w]! | (((rest & maskOf(take)) << BigInt(off)) & wordMask);
      rest >>= BigInt(take);
      left -= take;
      w++;
      off = 0;
    }
  });
  return words;
}

/** The first `count` signed fields of `bits` from words of `wordBits` (zero past the words' end). */
export function unpackFromWords(words: readonly bigint[], wordBits: number, bits: number, count: number): bigint[] {
  return Array.from({ length: count }, (_, i) => {
    let u = 0n;
    let got = 0;
    let at = i * bits;
    while (got < bits) {
      const w = Math.floor(at / wordBits);
      const off = at % wordBits;
      const take = Math.min(bits - got, wordBits - off);
      u |= (((words[w] ?? 0n) >> BigInt(off)) & maskOf(take)) << BigInt(got);
      got += take;
      at += take;
    }
    return BigInt.asIntN(bits, u);
  });
}

/** Words of `from` bits re-cut into words of `to` bits (the same bit stream, the last word zero-padded). */
export function rewrap(words: readonly bigint[], from: number, to: number): bigint[] {
  return packToWords(words, from, to);
}
