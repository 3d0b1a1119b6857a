// Bit packing for the compiler: fields of `bits` bits packed from bit 0 up into words of
// `wordBits` (field i at bits [i × bits +: bits] of the stream; word 0 holds the lowest bits), the
// last word zero-padded. The chip's CMEM / CRAM / host words, BMEM words and bus words all hold
// their vectors this way.

const maskOf = (bits: number): bigint => (1n << BigInt(bits)) - 1n;

/** `values` (two's complement, `bits` each) as words of `wordBits`, the last zero-padded. */
export function packToWords(values: readonly bigint[], bits: number, wordBits: number): bigint[] {
  return bits % 4 === 0 && bits <= 32 && wordBits % 4 === 0 ? packByHex(values, bits, wordBits) : packByShifts(values, bits, wordBits);
}

/**
 * packToWords for whole hex digits (bits and wordBits multiples of 4, bits ≤ 32): each field
 * becomes bits / 4 hex digits of a word's text, one BigInt parse a word. Same result as
 * packByShifts, many times faster on the weight images.
 */
function packByHex(values: readonly bigint[], bits: number, wordBits: number): bigint[] {
  const fd = bits / 4;
  const wd = wordBits / 4;
  const n = Math.ceil((values.length * bits) / wordBits);
  // Stream digits, least significant first.
  const digits: string[] = new Array<string>(n * wd).fill("0");
  values.forEach((v, i) => {
    const hex = BigInt.asUintN(bits, v).toString(16);
    for (let j = 0; j < hex.length; j++) digits[i * fd + j] = hex[hex.length - 1 - j]!;
  });
  const words: bigint[] = [];
  for (let w = 0; w < n; w++) words.push(BigInt(`0x${digits.slice(w * wd, (w + 1) * wd).reverse().join("")}`));
  return words;
}

/** packToWords for any widths: shifts and masks, field by field. */
export function packByShifts(values: readonly bigint[], bits: number, wordBits: number): bigint[] {
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
  // Whole words into whole words (the weight images: 256-bit BMEM words ↔ 512-bit host words): one
  // shift a word instead of a field-by-field repack.
  if (to % from === 0) {
    const k = to / from;
    const m = maskOf(from);
    const out: bigint[] = [];
    for (let i = 0; i < words.length; i += k) {
      let w = 0n;
      for (let j = Math.min(k, words.length - i) - 1; j >= 0; j--) w = (w << BigInt(from)) | (words[i + j]! & m);
      out.push(w);
    }
    return out;
  }
  if (from % to === 0) {
    const k = from / to;
    const m = maskOf(to);
    const out: bigint[] = [];
    for (const word of words) {
      let w = word & maskOf(from);
      for (let j = 0; j < k; j++, w >>= BigInt(to)) out.push(w & m);
    }
    return out;
  }
  return packToWords(words, from, to);
}
