// The RTL regression's result table (`gen-rtl sim`): test, pass/fail, measured and model cycles,
// their difference and the simulation speed.
import type { SuiteResult } from "../../sim/suite.js";
import { textTable } from "./format.js";

export function simText(r: SuiteResult): string {
  const rows = r.tests.map((t) => {
    const c = t.cycles;
    const diff = c ? (c.model === 0 ? (c.measured === 0 ? "0" : "inf") : `${(((c.measured - c.model) / c.model) * 100).toFixed(2)}%`) : "";
    return [
      t.name,
      t.passed ? "pass" : "FAIL",
      c ? String(c.measured) : "",
      c ? String(c.model) : "",
      diff,
      t.sim_cycles_per_s !== undefined ? t.sim_cycles_per_s.toExponential(2).replace("e+", "e") : "",
    ];
  });
  const failures = r.tests.filter((t) => !t.passed && t.detail).map((t) => `  ${t.name}: ${t.detail}`);
  return [
    `RTL regression for ${r.spec} (seed ${r.seed}; rerun with --seed ${r.seed})`,
    textTable(["test", "result", "measured cycles", "model cycles", "difference", "sim cycles/s"], rows, [2, 3, 4, 5]),
    `${r.passed} passed, ${r.failed} failed`,
    ...failures,
  ].join("\n") + "\n";
}
