// The seed's 50 tokens/s demand (3.3) as a picture: decode and prefill tokens/s of the model at the
// configurations the seed speaks of (generator/sweep/seed-demand.ts), both mappings, on a log axis,
// with the seed's thresholds (50 tokens/s; 800 for prefill at 512×2×16 Gops) as rules.
import type { SeedDemandRow } from "../../sweep/seed-demand.js";
import type { ChartSpec } from "./render.js";

function panel(rows: readonly SeedDemandRow[], field: "decode_tokens_per_s" | "prefill_tokens_per_s", title: string, thresholds: readonly number[]): object {
  const values = rows.map((r) => ({ config: r.short, mapping: r.mapping, tokens: r[field], label: `${+r[field].toPrecision(3)}` }));
  const configs = [...new Set(values.map((v) => v.config))];
  const y = { field: "config", type: "nominal", title: null, sort: configs, axis: { labelLimit: 320 } };
  const max = Math.max(...values.map((v) => v.tokens), ...thresholds);
  // Bars on a log axis start at 1 token/s (x2), not at 0.
  const x = { field: "tokens", type: "quantitative", scale: { type: "log", domain: [1, max * 3] }, title };
  return {
    width: 440,
    height: { step: 16 },
    layer: [
      {
        data: { values },
        mark: "bar",
        encoding: { y, yOffset: { field: "mapping", type: "nominal" }, x, x2: { datum: 1 }, color: { field: "mapping", type: "nominal", title: "mapping", legend: { orient: "bottom" } } },
      },
      {
        data: { values },
        mark: { type: "text", align: "left", dx: 3, fontSize: 10 },
        encoding: { y, yOffset: { field: "mapping", type: "nominal" }, x, text: { field: "label", type: "nominal" } },
      },
      {
        data: { values: thresholds.map((t) => ({ tokens: t, label: `${t} tokens/s` })) },
        mark: { type: "rule", color: "#e45756", strokeDash: [5, 3], strokeWidth: 2 },
        encoding: { x },
      },
    ],
  };
}

export function seedDemandChart(rows: readonly SeedDemandRow[]): ChartSpec {
  return {
    title: "the seed's 50 tokens/s demand (3.3), LLaMA-7B on its chip and on the chip it asks for (model, both mappings)",
    vconcat: [
      panel(rows, "decode_tokens_per_s", "decode tokens/s (red: the seed's 50 tokens/s)", [50]),
      panel(rows, "prefill_tokens_per_s", "prefill tokens/s of the 512-token prompt (red: 50 and 50×16)", [50, 800]),
    ],
  } as ChartSpec;
}
