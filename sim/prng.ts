// A small seeded PRNG for stimulus (mulberry32): the same seed gives the same stimulus on every
// machine. Tests print the seed on failure; `--seed N` replays it.

export interface Prng {
  readonly seed: number;
  /** Uniform 32-bit unsigned integer. */
  u32(): number;
  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number;
  /** Uniform unsigned BigInt of `bits` bits. */
  bits(bits: number): bigint;
  /** Uniform signed integer of `bits` bits (two's complement range). */
  signed(bits: number): bigint;
  /** A derived, independent generator (for one sub-test). */
  fork(label: string): Prng;
}

function hash32(text: string, seed: number): number {
  let h = seed ^ 0x9e3779b9;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x85ebca6b);
    h ^= h >>> 13;
  }
  return h >>> 0;
}

/** Spans int() draws without BigInt: (s - 1)² + 2^32 stays below 2^53. */
const SMALL_SPAN = 2 ** 20;
const TWO32_MOD = (s: number): number => 4294967296 % s;

const signedTables = new Map<number, readonly bigint[]>();

/** Every `bits`-bit pattern as its two's-complement value, indexed by the pattern. */
function signedTable(bits: number): readonly bigint[] {
  let t = signedTables.get(bits);
  if (!t) {
    t = Array.from({ length: 2 ** bits }, (_, x) => BigInt.asIntN(bits, BigInt(x)));
    signedTables.set(bits, t);
  }
  return t;
}

export function prng(seed: number): Prng {
  let state = seed >>> 0;
  const u32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const self: Prng = {
    seed,
    u32,
    int(lo, hi) {
      if (hi < lo) throw new Error(`prng.int: empty range [${lo}, ${hi}]`);
      // (two draws as one 64-bit number) mod span, exactly: two draws leave a bias below 2^-32 for
      // any test range. A 64-bit number is past 2^53 in a double (which once made int(1, 64) always
      // 1), so it is never formed as one: for spans up to 2^20 the same residue comes from
      // ((hi mod s) × (2^32 mod s) + lo) mod s, every term exact in a double; wider spans use BigInt.
      const hiWord = u32();
      const loWord = u32();
      const s = hi - lo + 1;
      if (s <= SMALL_SPAN) return lo + (((hiWord % s) * TWO32_MOD(s) + loWord) % s);
      const r = ((BigInt(hiWord) << 32n) | BigInt(loWord)) % (BigInt(hi) - BigInt(lo) + 1n);
      return lo + Number(r);
    },
    bits(bits) {
      let v = 0n;
      for (let got = 0; got < bits; got += 32) v = (v << 32n) | BigInt(u32());
      return BigInt.asUintN(bits, v);
    },
    signed(bits) {
      // Up to 16 bits (weights, KV, activations): the same one draw's low bits, from a table of
      // BigInts made once per width (the golden LLaMA's weights are hundreds of millions of these).
      if (bits >= 1 && bits <= 16) return signedTable(bits)[u32() & ((1 << bits) - 1)]!;
      return BigInt.asIntN(bits, self.bits(bits));
    },
    fork(label) {
      return prng(hash32(label, seed));
    },
  };
  return self;
}
