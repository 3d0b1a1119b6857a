// The controller ALUs' golden models (bit-exact with the RTL, see ctrl.test.ts) against float and
// hand calculations: the accuracy each ALU claims in its module header, on seeded random data and
// the edge cases (all-equal and very negative scores, zeros, full scale, saturation). Pure
// TypeScript; no Verilator. Replay with PIM_GEN_SEED=<seed>.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ctrlOpCycles, ctrlShape, rmsTableBits } from "../../generator/model/cycles-controller.js";
import { controllerRtlFiles } from "../../generator/rtl/ctrl_index.js";
import { ctrlParams } from "../../generator/rtl/ctrl_params.js";
import { loadSpec, parseSpec, type LoadedSpec } from "../../generator/spec/load.js";
import type { Spec } from "../../generator/spec/schema.js";
import { goldenAdd, goldenMax, goldenMul, goldenRequant, goldenSum } from "../../sim/golden/ctrl_elementwise.js";
import { roundShift, saturate } from "../../sim/golden/ctrl_fixed.js";
import { goldenRmsnorm } from "../../sim/golden/ctrl_rmsnorm.js";
import { goldenRope } from "../../sim/golden/ctrl_rope.js";
import { goldenSilu } from "../../sim/golden/ctrl_silu.js";
import { goldenExpNeg, goldenSoftmax, goldenSoftmaxTrace } from "../../sim/golden/ctrl_softmax.js";
import { prng } from "../../sim/prng.js";
import {
  mulAccuracy,
  requantAccuracy,
  rmsnormAccuracy,
  rmsnormVectors,
  ropeAccuracy,
  ropeVectors,
  siluAccuracy,
  softmaxAccuracy,
  softmaxVectors,
} from "../../sim/tests/ctrl_accuracy.js";

const SEED = Number(process.env["PIM_GEN_SEED"] ?? 1);

/** The accuracy every ALU states (output LSBs, against the float result clamped to the output range). */
const BOUND = {
  softmax: 0.75,
  rmsnorm: 0.75,
  rope: 0.75,
  siluDirect: 0.5,
  siluInterpolated: 0.55,
  exactlyRounded: 0.5,
};

function variant(name: string, edit: (s: Spec) => void): LoadedSpec {
  const s = JSON.parse(readFileSync("specs/tiny.json", "utf8")) as Spec;
  s.name = name;
  edit(s);
  return parseSpec(s, `specs/tiny.json (variant ${name})`);
}

function withBits(a: number): () => LoadedSpec {
  return () =>
    variant(`tiny_a${a}`, (s) => {
      s.numerics.activation_bits = a;
      s.chip.controller.mem_bits = 8 * a;
      s.chip.bus.bits = 16 * a; // a multiple of A whose 2-die beat is a multiple of the 32-bit BMEM word
    });
}

const SETS: { label: string; load: () => LoadedSpec }[] = [
  { label: "tiny (A=8)", load: () => loadSpec("specs/tiny.json") },
  { label: "fpga-ice40 (A=8)", load: () => loadSpec("specs/fpga-ice40.json") },
  { label: "aim-llama7b (A=4, H=4096, L=4096)", load: () => loadSpec("specs/aim-llama7b.json") },
  { label: "A=4", load: withBits(4) },
  { label: "A=6", load: withBits(6) },
  { label: "A=10", load: withBits(10) },
  { label: "A=12 (interpolated SiLU)", load: withBits(12) },
];

const fmt = (x: number) => x.toFixed(3);

describe("controller ALU accuracy against float", () => {
  for (const set of SETS) {
    describe(set.label, () => {
      const loaded = set.load();
      const p = ctrlParams(loaded);
      const rng = prng(SEED).fork(set.label);
      const random = p.softmax.maxLen > 1024 ? 40 : 200;

      it(`softmax: each probability within ${BOUND.softmax} LSB of float (1 LSB with saturation at 1.0)`, () => {
        const a = softmaxAccuracy(p, softmaxVectors(p, rng.fork("softmax"), random));
        console.log(`${set.label} softmax: max ${fmt(a.max_lsb)} LSB, mean ${fmt(a.mean_lsb)}, with saturation ${fmt(a.max_abs_lsb)}, |Σp-1| ≤ ${fmt(a.max_sum_error)} (${a.count} outputs, seed ${SEED})`);
        expect(a.max_lsb).toBeLessThanOrEqual(BOUND.softmax);
        expect(a.max_abs_lsb).toBeLessThanOrEqual(1);
      });

      it(`rmsnorm: within ${BOUND.rmsnorm} LSB of float; 1/rms factor within 2^-(RT+2)`, () => {
        const a = rmsnormAccuracy(p, rmsnormVectors(p, rng.fork("rmsnorm"), random));
        console.log(`${set.label} rmsnorm: max ${fmt(a.max_lsb)} LSB, mean ${fmt(a.mean_lsb)}, scale rel. error ${a.max_rel_scale_error.toExponential(2)} (${a.count} outputs, seed ${SEED})`);
        expect(a.max_lsb).toBeLessThanOrEqual(BOUND.rmsnorm);
        expect(a.max_rel_scale_error).toBeLessThanOrEqual(1.05 * 2 ** -(rmsTableBits(p.a) + 2));
      });

      it("silu: every input code", () => {
        const a = siluAccuracy(p);
        const bound = p.silu.loBits === 0 ? BOUND.siluDirect : BOUND.siluInterpolated;
        console.log(`${set.label} silu: max ${fmt(a.max_lsb)} LSB, mean ${fmt(a.mean_lsb)} over all ${a.count} codes`);
        expect(a.max_lsb).toBeLessThanOrEqual(bound);
      });

      it(`rope: within ${BOUND.rope} LSB of float over positions 0 … L-1, full-scale pairs included`, () => {
        const a = ropeAccuracy(p, ropeVectors(p, rng.fork("rope"), random));
        console.log(`${set.label} rope: max ${fmt(a.max_lsb)} LSB, mean ${fmt(a.mean_lsb)} (${a.count} outputs, seed ${SEED})`);
        expect(a.max_lsb).toBeLessThanOrEqual(BOUND.rope);
      });

      it("requant and mul: exactly rounded (≤ 1/2 LSB unless saturated)", () => {
        const q = requantAccuracy(p, rng.fork("requant"), 300);
        const m = mulAccuracy(p, rng.fork("mul"), 300);
        expect(q.max_lsb).toBeLessThanOrEqual(BOUND.exactlyRounded);
        expect(m.max_lsb).toBeLessThanOrEqual(BOUND.exactlyRounded);
      });
    });
  }
});

describe("controller ALU golden models by hand", () => {
  const tiny = ctrlParams(loadSpec("specs/tiny.json")); // A = 8
  const b = (xs: number[]) => xs.map(BigInt);

  it("rounds half up and saturates", () => {
    expect(roundShift(5n, 1)).toBe(3n); // 2.5 → 3
    expect(roundShift(-5n, 1)).toBe(-2n); // -2.5 → -2 (ties towards +∞)
    expect(roundShift(-7n, 2)).toBe(-2n); // -1.75 → -2
    expect(roundShift(9n, 0)).toBe(9n);
    expect(saturate(200n, 8)).toBe(127n);
    expect(saturate(-129n, 8)).toBe(-128n);
  });

  it("add, mul, sum, max", () => {
    expect(goldenAdd(tiny, b([100, -100, 3]), b([100, -100, -4]))).toEqual(b([127, -128, -1]));
    expect(goldenMul(tiny, b([-3, 16, -128]), b([5, 16, -128]), 1)).toEqual(b([-7, 127, 127])); // -7.5 → -7; 128 → 127
    expect(goldenMul(tiny, b([-128]), b([127]), 7)).toEqual(b([-127])); // -127 exactly
    expect(goldenSum(tiny, b([-128, -128, 5]))).toBe(-251n);
    expect(goldenMax(tiny, b([-128, -7, -9]))).toBe(-7n);
  });

  it("requant: scale mult / 2^shift, round half up, saturate", () => {
    expect(goldenRequant(tiny, b([-40, -44, 1000, 100]), 1n, 3)).toEqual(b([-5, -5, 125, 13])); // -5.5 → -5; 12.5 → 13
    expect(goldenRequant(tiny, b([1000]), 3n, 4)).toEqual(b([127])); // 187.5 saturates
    expect(goldenRequant(tiny, b([-(2 ** 23)]), 65535n, 0)).toEqual(b([-128]));
  });

  it("softmax: exp(0) is exactly 1.0; equal scores give 1/L; one dominant score saturates to 127/128", () => {
    expect(goldenExpNeg(tiny, 0n)).toBe(1n << BigInt(tiny.softmax.eBits));
    expect(goldenSoftmax(tiny, b([5, 5, 5, 5]))).toEqual(b([32, 32, 32, 32])); // 0.25 × 128
    expect(goldenSoftmax(tiny, b([7]))).toEqual(b([127]));
    const t = goldenSoftmaxTrace(tiny, b([127, -128, -128]));
    expect(t.exps.slice(1)).toEqual(b([0, 0])); // exp(-15.9) is below 2^-eBits
    expect(t.y).toEqual(b([127, 0, 0]));
    // Two scores 1.0 apart (Q3.4: 16 codes): p = 1/(1+e^-1) = 0.7311 → 93.6 → 94, and 0.2689 → 34.4 → 34.
    expect(goldenSoftmax(tiny, b([16, 0]))).toEqual(b([94, 34]));
  });

  it("rmsnorm: [3, 4] with gamma 1.0 → [0.8485, 1.1314] in Q3.4 = [14, 18]; zeros stay zero", () => {
    const one = 1n << BigInt(tiny.rmsnorm.gFrac);
    expect(goldenRmsnorm(tiny, b([3, 4]), [one, one])).toEqual(b([14, 18]));
    expect(goldenRmsnorm(tiny, b([0, 0, 0]), [one, one, one])).toEqual(b([0, 0, 0]));
    // -128 everywhere: y = -1.0 → -16; with gamma -2.0 (code -128): +2.0 → 32.
    expect(goldenRmsnorm(tiny, b([-128, -128]), b([-128, -128]))).toEqual(b([32, 32]));
  });

  it("silu: silu(0) = 0, silu(1.0) = 0.7311 → 11.7 → 12, silu(-8) ≈ -0.0027 → 0", () => {
    expect(goldenSilu(tiny, b([0, 16, -128]))).toEqual(b([0, 12, 0]));
  });

  it("rope: position 0 is the identity; pair 0 at position 1 rotates by 1 radian", () => {
    const x = b([100, -50, 127, -128, 1, 2]);
    expect(goldenRope(tiny, x, 0)).toEqual(x);
    // (100, 0) rotated by 1 rad: (54.03, 84.15) → (54, 84).
    expect(goldenRope(tiny, b([100, 0]), 1)).toEqual(b([54, 84]));
  });
});

describe("controller ALU generator", () => {
  it("same spec → byte-identical RTL", () => {
    const a = controllerRtlFiles(loadSpec("specs/tiny.json"));
    const c = controllerRtlFiles(loadSpec("specs/tiny.json"));
    expect([...a.keys()]).toEqual([...c.keys()]);
    for (const [k, v] of a) expect(c.get(k)).toBe(v);
    expect([...a.keys()]).toContain("rtl/tiny_ctrl_valu.v");
    for (const v of a.values()) expect(v).not.toMatch(/undefined|NaN/);
  });

  it("refuses widths and lanes it cannot build, naming the field", () => {
    expect(() => ctrlParams(withBits(16)())).toThrow(/numerics\.activation_bits/);
    expect(() => ctrlParams(variant("odd_lanes", (s) => (s.chip.controller.vector_lanes = 3)))).toThrow(
      /chip\.controller\.vector_lanes/,
    );
  });

  it("cycle formulas: passes × beats + fixed latency", () => {
    const s = ctrlShape(loadSpec("specs/tiny.json").derived); // 8 lanes, A = 8, H = 64
    expect(ctrlOpCycles(s, "add", 64)).toBe(8 + 2);
    expect(ctrlOpCycles(s, "sum", 65)).toBe(9 + 1);
    expect(ctrlOpCycles(s, "rope", 16)).toBe(2 + 5);
    // The divider takes 4 quotient bits a cycle (the default).
    expect(s.divBits).toBe(4);
    // Softmax: load 8, sum 8 + 3, normalise 8 + 5 with its reads issued 12 / 4 - 2 = 1 cycle after the sum.
    expect(ctrlOpCycles(s, "softmax", 64)).toBe(3 * 8 + 3 + (12 / 4 - 2) + 5); // quotient bits A + 4 = 12
    expect(ctrlOpCycles(s, "rmsnorm", 64)).toBe(2 * 8 + Math.ceil((21 + 16) / 4) + 6); // Σx² 21 bits + mean fraction 16
    // One bit a cycle: the normalise pass waits 12 - 2 cycles after the sum.
    expect(ctrlOpCycles({ ...s, divBits: 1 }, "softmax", 64)).toBe(3 * 8 + 3 + (12 - 2) + 5);
    expect(ctrlOpCycles({ ...s, divBits: 1 }, "rmsnorm", 64)).toBe(2 * 8 + 37 + 6);
    // 3 bits: ceil(12 / 3) = 4 cycles, the pass waits 2; ceil(37 / 3) = 13.
    expect(ctrlOpCycles({ ...s, divBits: 3 }, "softmax", 64)).toBe(3 * 8 + 3 + 2 + 5);
    expect(ctrlOpCycles({ ...s, divBits: 3 }, "rmsnorm", 64)).toBe(2 * 8 + 13 + 6);
  });
});

