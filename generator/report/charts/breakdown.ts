// The decode latency of one token per mapping, as stacked bars of the seed's parts (its 3.1.5
// table as a picture): intra-bank weights and KV, controller <-> bank transfers (their bytes, and
// their fixed cost λ × transfers apart), intra-controller weights and KV. Seconds view. When the
// spec is the seed's configuration, the seed's own printed figures stand beside the model's bars.
// Two panels: with λ, and without it (λ dwarfs the rest on the seed's chip: 514λ = 51 ms against
// 1.25 ms).
import { isAvailable, type ModelResult } from "../../model/index.js";
import type { SeedRow } from "../../model/seed.js";
import type { DecodeTime } from "../../model/decode.js";
import { ATTENTION_MAPPINGS, type AttentionMapping } from "../../spec/schema.js";
import type { ChartSpec } from "./render.js";

export const BREAKDOWN_PARTS = [
  "intra-bank weights",
  "intra-bank KV",
  "controller-bank weights (bytes)",
  "controller-bank KV (bytes)",
  "λ × weight transfers",
  "λ × KV transfers",
  "intra-controller weights",
  "intra-controller KV",
] as const;
export type BreakdownPart = (typeof BREAKDOWN_PARTS)[number];

const LAMBDA_PARTS: readonly BreakdownPart[] = ["λ × weight transfers", "λ × KV transfers"];

const COLORS = ["#4c78a8", "#9ecae9", "#f58518", "#ffbf79", "#e45756", "#ff9d98", "#54a24b", "#88d27a"];

export interface BreakdownRow {
  /** The bar: "<mapping> (model)" or "<mapping> (seed, printed)". */
  bar: string;
  mapping: AttentionMapping;
  source: "model" | "seed";
  part: BreakdownPart;
  order: number;
  seconds: number;
}

export function decodeParts(t: DecodeTime): Record<BreakdownPart, number> {
  return {
    "intra-bank weights": t.intra_bank.weights.time,
    "intra-bank KV": t.intra_bank.kv.time,
    "controller-bank weights (bytes)": t.controller_bank.weights.transfer,
    "controller-bank KV (bytes)": t.controller_bank.kv.transfer,
    "λ × weight transfers": t.controller_bank.weights.lambda,
    "λ × KV transfers": t.controller_bank.kv.lambda,
    "intra-controller weights": t.intra_controller.weights.time,
    "intra-controller KV": t.intra_controller.kv.time,
  };
}

/** The seed's printed cells for one mapping (3.1.5), as numbers; undefined when a cell is missing. */
export function seedParts(rows: readonly SeedRow[], mapping: AttentionMapping, lambdaS: number): Record<BreakdownPart, number> | undefined {
  const cell = (key: string, own: boolean): number | undefined => {
    const r = rows.find((x) => x.key === key && (own ? x.mapping === mapping : x.mapping === undefined));
    return r === undefined ? undefined : Number(r.seed.replace(/,/g, ""));
  };
  const v = {
    "intra-bank weights": cell("decode.intra_bank.weights_s", false),
    "intra-bank KV": cell("decode.intra_bank.kv_s", true),
    "controller-bank weights (bytes)": cell("decode.controller_bank.weights.transfer_s", false),
    "controller-bank KV (bytes)": cell("decode.controller_bank.kv.transfer_s", true),
    "λ × weight transfers": (cell("decode.controller_bank.weights.transfers", false) ?? NaN) * lambdaS,
    "λ × KV transfers": (cell("decode.controller_bank.kv.transfers", true) ?? NaN) * lambdaS,
    "intra-controller weights": cell("decode.intra_controller.weights_s", false),
    "intra-controller KV": cell("decode.intra_controller.kv_s", true),
  };
  const values = Object.values(v);
  if (values.some((x) => x === undefined || Number.isNaN(x))) return undefined;
  return v as Record<BreakdownPart, number>;
}

export function breakdownRows(r: ModelResult): BreakdownRow[] {
  const rows: BreakdownRow[] = [];
  for (const mapping of ATTENTION_MAPPINGS) {
    const m = r.mappings[mapping];
    if (!isAvailable(m)) continue;
    const sets: ["model" | "seed", Record<BreakdownPart, number> | undefined][] = [["model", decodeParts(m.decode)]];
    if (r.seed.applies) sets.push(["seed", seedParts(r.seed.rows, mapping, r.derived.lambda.s)]);
    for (const [source, parts] of sets) {
      if (!parts) continue;
      const bar = `${mapping} (${source === "model" ? "model" : "seed, printed"})`;
      BREAKDOWN_PARTS.forEach((part, order) => rows.push({ bar, mapping, source, part, order, seconds: parts[part] }));
    }
  }
  return rows;
}

/** The time unit that keeps the axis readable: the largest whose value of `max` is at least 1. */
export function timeUnit(max: number): { name: string; scale: number } {
  for (const [name, scale] of [["s", 1], ["ms", 1e3], ["µs", 1e6]] as const) if (max * scale >= 1) return { name, scale };
  return { name: "ns", scale: 1e9 };
}

function panel(all: readonly BreakdownRow[], title: string, parts: readonly BreakdownPart[]): object {
  const bars = [...new Set(all.map((r) => r.bar))];
  const totals = bars.map((bar) => ({ bar, total: all.filter((r) => r.bar === bar).reduce((s, r) => s + r.seconds, 0) }));
  const unit = timeUnit(Math.max(...totals.map((t) => t.total)));
  const rows = all.map((r) => ({ ...r, value: r.seconds * unit.scale }));
  return {
    title,
    width: 520,
    height: { step: 28 },
    layer: [
      {
        data: { values: rows },
        mark: "bar",
        encoding: {
          y: { field: "bar", type: "nominal", title: null, sort: bars, axis: { labelLimit: 320 } },
          x: { field: "value", type: "quantitative", stack: "zero", title: `${unit.name} per token` },
          color: { field: "part", type: "nominal", title: "part", scale: { domain: [...BREAKDOWN_PARTS], range: COLORS }, sort: [...parts], legend: { orient: "bottom", columns: 2 } },
          order: { field: "order", type: "quantitative" },
        },
      },
      {
        data: { values: totals.map((t) => ({ bar: t.bar, value: t.total * unit.scale, label: `${t.total.toExponential(2).replace("e+", "e")} s` })) },
        mark: { type: "text", align: "left", dx: 4, fontSize: 11 },
        encoding: {
          y: { field: "bar", type: "nominal", sort: bars },
          x: { field: "value", type: "quantitative" },
          text: { field: "label", type: "nominal" },
        },
      },
    ],
  };
}

export function breakdownChart(rows: readonly BreakdownRow[], spec: string): ChartSpec {
  const noLambda = rows.filter((r) => !LAMBDA_PARTS.includes(r.part));
  return {
    vconcat: [
      panel(rows, `decode latency per token by part, ${spec} (seconds view, with λ)`, BREAKDOWN_PARTS),
      panel(noLambda, "the same without λ (bandwidth terms only)", BREAKDOWN_PARTS.filter((p) => !LAMBDA_PARTS.includes(p))),
    ],
    resolve: { scale: { x: "independent" } },
  } as ChartSpec;
}
