// `gen-rtl sweep`'s terminal output: the grid's points (the first MAX_ROWS) with the chosen metric,
// and with --rtl each point's cycles and verdict; the files are the full record.
import { cycles, sci, textTable } from "../report/format.js";
import { METRIC_TITLES } from "./run-model.js";
import type { SweepResult } from "./index.js";

export const MAX_ROWS = 40;

function metricText(x: number | null): string {
  if (x === null) return "—";
  return Math.abs(x) >= 1e4 || Math.abs(x) < 1e-2 ? sci(x, 4) : String(+x.toPrecision(5));
}

export function sweepText(r: SweepResult): string {
  const paths = r.vary.map((v) => v.path);
  const head = ["point", ...paths, "mapping", METRIC_TITLES[r.metric], ...(r.rtl ? ["measured", "instr. model", "analytical", "RTL"] : [])];
  const rows = r.points.slice(0, MAX_ROWS).map((p) => [
    String(p.point),
    ...paths.map((k) => String(p.values[k])),
    p.mapping,
    p.unavailable ? `unavailable: ${p.unavailable.slice(0, 60)}` : metricText(p.metrics[r.metric]),
    ...(p.rtl
      ? [
          p.rtl.measured_cycles === null ? "—" : cycles(p.rtl.measured_cycles),
          p.rtl.model_cycles === null ? "—" : cycles(p.rtl.model_cycles),
          p.rtl.analytical_cycles === null ? "—" : cycles(Math.round(p.rtl.analytical_cycles)),
          p.rtl.passed ? "pass" : `FAIL: ${p.rtl.problem ?? ""}`,
        ]
      : []),
  ]);
  const right = [0, paths.length + 2, ...(r.rtl ? [paths.length + 3, paths.length + 4, paths.length + 5] : [])];
  const lines = [`sweep of ${r.spec} (${r.file}): ${r.points.length} point(s), mapping ${r.mapping}`, textTable(head, rows, right)];
  if (r.points.length > MAX_ROWS) lines.push(`  … ${r.points.length - MAX_ROWS} more point(s): see sweep.csv`);
  if (r.rtl) {
    lines.push(
      `RTL (gen-rtl run --tokens ${r.rtl.tokens} --seed ${r.rtl.seed} on each point; cycles of the generating step without host I/O): ` +
        `${r.rtl.passed} passed, ${r.rtl.failed} failed`,
    );
  }
  return lines.join("\n") + "\n";
}
