// `gen-rtl sweep spec.json --vary PATH=V1,V2,… [--vary …] [--metric M] [--mapping M] [--rtl]`:
// design-space exploration. The grid (grid.ts) is every combination of the values; every point is
// checked before any runs; then the analytical model at every point (run-model.ts: runModel, the
// function behind `gen-rtl model`; about a millisecond a point), and with --rtl a decode of one
// token on every point's Verilated chip (run-rtl.ts). Out: sweep.csv, sweep.json and sweep.svg
// (the metric against the first --vary; charts/sweep.ts), written together only when all are
// ready. No timestamps, wall times or cache states in the files: the same input gives the same
// bytes.
import { readFileSync } from "node:fs";
import { json } from "../output/generate.js";
import { renderSvg } from "../report/charts/render.js";
import { sweepChart } from "../report/charts/sweep.js";
import { loadSpec } from "../spec/load.js";
import { csv, type Cell } from "./csv.js";
import { checkPoints, gridPoints, parseVaries, type CheckedPoint, type Vary, type VaryValue } from "./grid.js";
import { METRIC_TITLES, METRICS, modelPoint, type MappingChoice, type Metric, type ModelPoint } from "./run-model.js";
import { checkRtlPoint, runRtlPoints, type RtlOptions, type RtlPoint } from "./run-rtl.js";

export interface SweepOptions {
  metric: Metric;
  mapping: MappingChoice;
  /** Decode on the Verilated chip too. */
  rtl?: RtlOptions;
}

export interface SweepPoint extends ModelPoint {
  point: number;
  values: Record<string, VaryValue>;
  rtl?: RtlPoint;
}

export interface SweepResult {
  spec: string;
  file: string;
  metric: Metric;
  mapping: MappingChoice;
  vary: { path: string; values: VaryValue[] }[];
  rtl: { tokens: number; seed: number; passed: number; failed: number } | null;
  points: SweepPoint[];
  /** Distinct spec warnings over the grid and how many points gave each (not in the files). */
  warnings: { message: string; points: number }[];
}

export interface PreparedSweep {
  file: string;
  name: string;
  varies: Vary[];
  points: CheckedPoint[];
}

/** Reads the base spec, builds the grid and checks every point (throws UserError before anything runs). */
export function prepareSweep(file: string, varyArgs: readonly string[], rtl: { tokens: number } | null): PreparedSweep {
  const base = loadSpec(file, { rtl: rtl !== null });
  const data: unknown = JSON.parse(readFileSync(file, "utf8"));
  const varies = parseVaries(varyArgs);
  const grid = gridPoints(data, varies);
  const points = checkPoints(grid, file, rtl !== null, rtl ? (loaded) => checkRtlPoint(loaded, rtl.tokens) : undefined);
  return { file, name: base.spec.name, varies, points };
}

export async function runSweep(prepared: PreparedSweep, opts: SweepOptions, progress: (phase: string, detail?: string) => void = () => {}): Promise<SweepResult> {
  const { points } = prepared;
  progress("model", `${points.length} point(s)`);
  const model = points.map((p) => modelPoint(p, opts.mapping));
  const rtl = opts.rtl ? await runRtlPoints(points, opts.rtl, (detail) => progress("rtl", detail)) : null;
  const warnings = new Map<string, number>();
  for (const p of points) for (const w of p.loaded.warnings) warnings.set(`${w.path}: ${w.message}`, (warnings.get(`${w.path}: ${w.message}`) ?? 0) + 1);
  return {
    spec: prepared.name,
    file: prepared.file,
    metric: opts.metric,
    mapping: opts.mapping,
    vary: prepared.varies.map((v) => ({ path: v.path, values: v.values })),
    rtl: opts.rtl && rtl ? { tokens: opts.rtl.tokens, seed: opts.rtl.seed, passed: rtl.filter((r) => r.passed).length, failed: rtl.filter((r) => !r.passed).length } : null,
    points: points.map((p, i) => ({ point: p.index, values: p.values, ...model[i]!, ...(rtl ? { rtl: rtl[i]! } : {}) })),
    warnings: [...warnings].map(([message, n]) => ({ message, points: n })),
  };
}

const RTL_COLUMNS = ["rtl_passed", "rtl_match", "rtl_cycles_ok", "rtl_steps", "rtl_pos", "rtl_measured_cycles", "rtl_model_cycles", "rtl_analytical_cycles", "rtl_problem"] as const;

export function sweepCsv(r: SweepResult): string {
  const paths = r.vary.map((v) => v.path);
  const header = ["point", ...paths, "mapping", ...METRICS, "bound", "unavailable", ...(r.rtl ? RTL_COLUMNS : [])];
  const rows = r.points.map((p): Cell[] => [
    p.point,
    ...paths.map((k) => p.values[k] ?? null),
    p.mapping,
    ...METRICS.map((m) => p.metrics[m]),
    p.bound,
    p.unavailable,
    ...(p.rtl ? [p.rtl.passed, p.rtl.match, p.rtl.cycles_ok, p.rtl.steps, p.rtl.pos, p.rtl.measured_cycles, p.rtl.model_cycles, p.rtl.analytical_cycles, p.rtl.problem] : []),
  ]);
  return csv(header, rows);
}

/** The JSON file: everything but the warnings (printed on stderr). */
export function sweepJson(r: SweepResult): string {
  const { warnings: _warnings, ...rest } = r;
  return json({ ...rest, metrics: METRICS, units: { latency_s: "s per token", prefill_s: "s", cycles: "clock cycles", energy_uj_per_token: "µJ" } });
}

export function sweepSvg(r: SweepResult): Promise<string> {
  return renderSvg(
    sweepChart({
      spec: r.spec,
      paths: r.vary.map((v) => v.path),
      metric: r.metric,
      metricTitle: METRIC_TITLES[r.metric],
      mapping: r.mapping,
      points: r.points.map((p) => ({
        index: p.point,
        values: p.values,
        metric: p.metrics[r.metric],
        ...(p.rtl ? { rtl: { measured: p.rtl.measured_cycles, model: p.rtl.model_cycles, analytical: p.rtl.analytical_cycles } } : {}),
      })),
    }),
  );
}

export async function sweepFiles(r: SweepResult): Promise<Map<string, string>> {
  return new Map([
    ["sweep.csv", sweepCsv(r)],
    ["sweep.json", sweepJson(r)],
    ["sweep.svg", await sweepSvg(r)],
  ]);
}
