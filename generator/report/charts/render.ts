// Vega-Lite → SVG text, in Node, when a report or a sweep is generated: vega-lite compiles the
// chart's spec to a Vega spec, a headless vega View (renderer "none": no canvas, no DOM) renders
// it with View.toSVG(). The SVG is inlined into the HTML, so the page needs no script and no
// network to show it. Text widths are estimated (no canvas to measure fonts), which makes the
// output the same on every machine: same data, same SVG, byte for byte.
import { logger, parse, View, Warn } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

/** Fonts and colours shared by every chart (system fonts only: nothing is fetched). */
export const CHART_CONFIG = {
  font: "DejaVu Sans, Helvetica, Arial, sans-serif",
  background: "white",
  view: { stroke: "#ccc" },
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 360 },
  title: { fontSize: 14, anchor: "start" },
} as const;

export type ChartSpec = TopLevelSpec;

/**
 * Renders a chart to SVG text. A warning of Vega-Lite's compiler or Vega's runtime (a field with no
 * data, an invalid scale, a mark that cannot be drawn) is an error: a chart spec must be clean.
 */
export async function renderSvg(spec: ChartSpec): Promise<string> {
  const warnings: string[] = [];
  const log = logger(Warn, "warn", (_method, level, args) => {
    warnings.push(`${level} ${args.map((a) => (a instanceof Error ? a.message : String(a))).join(" ")}`);
  });
  const vega = compile({ ...spec, config: { ...CHART_CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec, { logger: log }).spec;
  const view = new View(parse(vega), { renderer: "none", logger: log });
  let svg: string;
  try {
    svg = await view.toSVG();
  } finally {
    view.finalize();
  }
  if (warnings.length > 0) throw new Error(`chart "${typeof spec.title === "string" ? spec.title : "(untitled)"}": ${warnings.join("; ")}`);
  return svg;
}
