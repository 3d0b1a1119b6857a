// The sweep's chart (sweep.svg): the chosen metric against the first --vary parameter, one line per
// combination of the other parameters; with --rtl a second panel sets each point's cycles side by
// side: measured on the Verilated chip, the instruction-level model, the analytical model (the
// step that generates the token, without host I/O).
import type { ChartSpec } from "./render.js";

export type SweepValue = number | string | boolean;

export interface SweepChartPoint {
  index: number;
  /** Path → value, in --vary order. */
  values: Record<string, SweepValue>;
  metric: number | null;
  rtl?: { measured: number | null; model: number | null; analytical: number | null } | null;
}

export interface SweepChartInput {
  spec: string;
  paths: readonly string[];
  metric: string;
  metricTitle: string;
  mapping: string;
  points: readonly SweepChartPoint[];
}

const WIDTH = 560;

function numericAxis(xs: readonly SweepValue[]): { numeric: boolean; log: boolean } {
  const nums = xs.filter((x): x is number => typeof x === "number");
  if (nums.length !== xs.length || nums.length === 0) return { numeric: false, log: false };
  const min = Math.min(...nums);
  const max = Math.max(...nums);
  return { numeric: true, log: min > 0 && max / min >= 4 };
}

export function sweepChart(input: SweepChartInput): ChartSpec {
  const [first, ...rest] = input.paths;
  const xPath = first ?? "point";
  // One other parameter: its value; several: last path segment = value (the legend's title has the paths).
  const series = (v: Record<string, SweepValue>): string =>
    rest.length === 0 ? input.spec : rest.length === 1 ? String(v[rest[0]!]) : rest.map((p) => `${p.split(".").pop()}=${String(v[p])}`).join(", ");
  const rows = input.points.map((p) => ({ x: p.values[xPath] ?? p.index, y: p.metric, series: series(p.values), point: p.index }));
  const xs = rows.map((r) => r.x);
  const xAxis = numericAxis(xs);
  const ys = rows.map((r) => r.y).filter((y): y is number => y !== null && y > 0);
  const yLog = ys.length > 0 && Math.max(...ys) / Math.min(...ys) > 100;
  const seriesCount = new Set(rows.map((r) => r.series)).size;
  const order = [...new Set(xs.map(String))];
  const plotted = rows.filter((r) => r.y !== null);
  // No point has the metric (every point's mapping unavailable, or no energy figures): say so.
  const metricPanel: ChartSpec = plotted.length === 0 ? {
    title: `${input.metricTitle} vs ${xPath} (${input.spec}, mapping: ${input.mapping})`,
    width: WIDTH,
    height: 60,
    data: { values: [{ text: `no point has a value for ${input.metric}` }] },
    mark: { type: "text", align: "left", fontSize: 13 },
    encoding: { text: { field: "text", type: "nominal" } },
  } as ChartSpec : {
    title: `${input.metricTitle} vs ${xPath} (${input.spec}, mapping: ${input.mapping})`,
    width: WIDTH,
    height: 300,
    data: { values: plotted },
    mark: { type: "line", point: true },
    encoding: {
      x: xAxis.numeric
        ? { field: "x", type: "quantitative", title: xPath, scale: xAxis.log ? { type: "log", base: 2 } : { zero: false }, axis: { values: [...new Set(xs)], format: "~g" } }
        : { field: "x", type: "ordinal", title: xPath, sort: order },
      y: { field: "y", type: "quantitative", title: input.metricTitle, scale: yLog ? { type: "log" } : { zero: false } },
      color: {
        field: "series",
        type: "nominal",
        title: rest.length === 0 ? "spec" : rest.join(", "),
        sort: [...new Set(rows.map((r) => r.series))],
        legend: seriesCount > 24 ? null : { orient: "bottom", columns: 2, titleLimit: 560 },
      },
    },
  } as ChartSpec;
  const withRtl = input.points.filter((p) => p.rtl);
  if (withRtl.length === 0) return metricPanel;
  const label = (p: SweepChartPoint): string => `#${p.index} ${Object.entries(p.values).map(([k, v]) => `${k.split(".").pop()}=${String(v)}`).join(" ")}`;
  const cycles = withRtl.flatMap((p) => [
    { point: label(p), kind: "measured (RTL)", cycles: p.rtl?.measured ?? null },
    { point: label(p), kind: "instruction model", cycles: p.rtl?.model ?? null },
    { point: label(p), kind: "analytical model", cycles: p.rtl?.analytical ?? null },
  ]).filter((r) => r.cycles !== null);
  // No point produced cycles (each failed before its chip ran): the table and the files say why.
  if (cycles.length === 0) return metricPanel;
  const rtlPanel = {
    title: "cycles of the generated token's step on the Verilated chip, per point (without host I/O)",
    width: WIDTH,
    height: 260,
    data: { values: cycles },
    mark: "bar",
    encoding: {
      x: { field: "point", type: "nominal", title: "grid point", sort: withRtl.map(label), axis: { labelAngle: -30, labelLimit: 240 } },
      xOffset: { field: "kind", type: "nominal", sort: ["measured (RTL)", "instruction model", "analytical model"] },
      y: { field: "cycles", type: "quantitative", title: "cycles" },
      color: { field: "kind", type: "nominal", title: "cycles", sort: ["measured (RTL)", "instruction model", "analytical model"], legend: { orient: "bottom" } },
    },
  };
  return { vconcat: [metricPanel, rtlPanel], resolve: { scale: { color: "independent" } } } as ChartSpec;
}
