// The stimulus generator: reproducible from its seed, and its integers cover their whole range
// evenly (a double-precision 64-bit sum once made int(1, 64) always return 1).
import { describe, expect, it } from "vitest";
import { prng } from "../sim/prng.js";

describe("prng", () => {
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
