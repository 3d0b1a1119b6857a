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
      // Exact integer arithmetic in BigInt (a 64-bit sum of two draws is past 2^53 in a double, which
      // once made int(1, 64) always 1); two draws leave a bias below 2^-32 for any test range.
      const span = BigInt(hi) - BigInt(lo) + 1n;
      const r = ((BigInt(u32()) << 32n) | BigInt(u32())) % span;
      return lo + Number(r);
    },
    bits(bits) {
      let v = 0n;
      for (let got = 0; got < bits; got += 32) v = (v << 32n) | BigInt(u32());
      return BigInt.asUintN(bits, v);
    },
    signed(bits) {
      return BigInt.asIntN(bits, self.bits(bits));
    },
    fork(label) {
      return prng(hash32(label, seed));
    },
  };
  return self;
}
