// The stimulus generator: reproducible from its seed, and its integers cover their whole range
// evenly (a double-precision 64-bit sum once made int(1, 64) always return 1).
import { describe, expect, it } from "vitest";
import { prng } from "../sim/prng.js";

describe("prng", () => {
  it("int is (two u32 draws as one 64-bit number) mod span, exactly, on both sides of its BigInt-free range", () => {
    for (const [lo, hi] of [[-8, 7], [0, 1], [1, 64], [-(2 ** 19), 2 ** 19 - 1], [0, 2 ** 20 - 1], [0, 2 ** 20], [-(2 ** 31), 2 ** 31 - 1]] as const) {
      const a = prng(99);
      const b = prng(99);
      for (let i = 0; i < 2000; i++) {
        const want = lo + Number(((BigInt(b.u32()) << 32n) | BigInt(b.u32())) % (BigInt(hi) - BigInt(lo) + 1n));
        expect(a.int(lo, hi), `int(${lo}, ${hi}) draw ${i}`).toBe(want);
      }
    }
  });

  it("signed(bits) is the low bits of one draw as two's complement, for table widths and wider", () => {
    for (const bits of [1, 4, 8, 12, 16, 17, 32, 40]) {
      const a = prng(5);
      const b = prng(5);
      for (let i = 0; i < 500; i++) {
        const want = BigInt.asIntN(bits, b.bits(bits));
        expect(a.signed(bits), `${bits} bits, draw ${i}`).toBe(want);
      }
    }
  });

  it("replays the same sequence from the same seed", () => {
    const a = prng(42);
    const b = prng(42);
    expect(Array.from({ length: 8 }, () => a.u32())).toEqual(Array.from({ length: 8 }, () => b.u32()));
  });

  it.each([
    [1, 64],
    [0, 1],
    [-8, 8],
    [0, 2 ** 20],
  ])("int(%i, %i) stays in range and hits both ends and the middle", (lo, hi) => {
    const r = prng(7);
    const seen = Array.from({ length: 20000 }, () => r.int(lo, hi));
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(lo);
    expect(Math.max(...seen)).toBeLessThanOrEqual(hi);
    const span = hi - lo + 1;
    if (span <= 64) {
      // Every value appears, none more than twice its fair share.
      const counts = new Map<number, number>();
      for (const v of seen) counts.set(v, (counts.get(v) ?? 0) + 1);
      expect(counts.size).toBe(span);
      for (const c of counts.values()) expect(c).toBeLessThan((2 * seen.length) / span);
    } else {
      const mean = seen.reduce((s, v) => s + v, 0) / seen.length;
      expect(Math.abs(mean - (lo + hi) / 2)).toBeLessThan(0.02 * span);
    }
  });
});
