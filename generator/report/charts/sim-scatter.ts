// Model vs measured cycles of every operation the latest `gen-rtl sim` timed (rtl-out/<name>/sim.json):
// one point per check with cycles, x = the cycle model's prediction, y = Verilator's count, on log
// axes with the diagonal y = x (on it: the model is exact). Colour: the test group (bank, chip,
// ctrl, …); a failed check is drawn as a cross.
import type { ChartSpec } from "./render.js";

export interface SimCheckCycles {
  name: string;
  passed: boolean;
  measured: number;
  model: number;
}

export function groupOf(name: string): string {
  const slash = name.indexOf("/");
  return slash > 0 ? name.slice(0, slash) : name.split(/[.:_ ]/)[0]!;
}

export function simScatterChart(checks: readonly SimCheckCycles[], spec: string, seed: number): ChartSpec {
  const values = checks.filter((c) => c.measured > 0 && c.model > 0).map((c) => ({ ...c, group: groupOf(c.name), result: c.passed ? "pass" : "FAIL" }));
  const all = values.flatMap((v) => [v.measured, v.model]);
  const lo = Math.min(...all) / 1.5;
  const hi = Math.max(...all) * 1.5;
  const x = { field: "model", type: "quantitative", scale: { type: "log", domain: [lo, hi] }, title: "cycles predicted by the cycle model" };
  const y = { field: "measured", type: "quantitative", scale: { type: "log", domain: [lo, hi] }, title: "cycles measured in Verilator" };
  return {
    title: `model vs measured cycles per operation, gen-rtl sim ${spec} (seed ${seed}); on the diagonal = exact`,
    width: 420,
    height: 420,
    layer: [
      {
        data: { values: [{ model: lo, measured: lo }, { model: hi, measured: hi }] },
        mark: { type: "line", color: "#999", strokeDash: [4, 4] },
        encoding: { x, y },
      },
      {
        data: { values },
        mark: { type: "point", filled: true, size: 60, opacity: 0.8 },
        encoding: {
          x,
          y,
          color: { field: "group", type: "nominal", title: "test group" },
          shape: { field: "result", type: "nominal", title: "check", scale: { domain: ["pass", "FAIL"], range: ["circle", "cross"] } },
        },
      },
    ],
  } as ChartSpec;
}
