// The analytical model at every point of a sweep: runModel, the function behind `gen-rtl model`,
// for one mapping per point (the point's own workload.attention_mapping, or the one asked for),
// reduced to a few metrics. The numbers are runModel's own, so a sweep point and `gen-rtl model
// --json` on a spec file with the point's values give the same figures (tested).
import { isAvailable, runModel } from "../model/index.js";
import type { AttentionMapping } from "../spec/schema.js";
import type { CheckedPoint } from "./grid.js";

export const METRICS = [
  "tokens_per_s",
  "latency_s",
  "cycles_per_token",
  "tokens_per_s_without_lambda",
  "prefill_s",
  "prefill_tokens_per_s",
  "energy_uj_per_token",
] as const;
export type Metric = (typeof METRICS)[number];

/** What each metric is, with its unit (chart axes, README). */
export const METRIC_TITLES: Record<Metric, string> = {
  tokens_per_s: "decode tokens/s",
  latency_s: "decode latency (s per token)",
  cycles_per_token: "decode cycles per token",
  tokens_per_s_without_lambda: "decode tokens/s without λ",
  prefill_s: "prefill time of prompt_len tokens (s)",
  prefill_tokens_per_s: "prefill tokens/s",
  energy_uj_per_token: "decode energy (µJ per token)",
};

/** `gen-rtl model --json` field each metric is, under mappings.<mapping>. */
export const METRIC_JSON_FIELDS: Record<Metric, string> = {
  tokens_per_s: "decode.tokens_per_s",
  latency_s: "decode.total.s",
  cycles_per_token: "decode_cycles.total.cycles",
  tokens_per_s_without_lambda: "decode.tokens_per_s_without_lambda",
  prefill_s: "prefill.s",
  prefill_tokens_per_s: "prefill.tokens_per_s",
  energy_uj_per_token: "energy.uj_per_token",
};

export const MAPPING_CHOICES = ["spec", "bank_per_head", "banks_per_head"] as const;
export type MappingChoice = (typeof MAPPING_CHOICES)[number];

export interface ModelPoint {
  mapping: AttentionMapping;
  /** null: the mapping cannot run at this point (see unavailable), or no energy figures in the spec. */
  metrics: Record<Metric, number | null>;
  /** Why the mapping cannot run at this point, or null. */
  unavailable: string | null;
  /** Whether the intra-bank weight GEMVs are memory- or compute-bound. */
  bound: "memory" | "compute" | null;
}

const NONE: Record<Metric, null> = Object.fromEntries(METRICS.map((m) => [m, null])) as Record<Metric, null>;

export function modelPoint(point: CheckedPoint, choice: MappingChoice): ModelPoint {
  const { loaded } = point;
  const mapping = choice === "spec" ? loaded.derived.mapping : choice;
  const m = runModel(loaded, { mappings: [mapping] }).mappings[mapping];
  if (!isAvailable(m)) return { mapping, metrics: NONE, unavailable: m?.unavailable ?? "not modelled", bound: null };
  return {
    mapping,
    metrics: {
      tokens_per_s: m.tokens_per_s,
      latency_s: m.decode.total.time,
      cycles_per_token: m.decode_cycles.total.time,
      tokens_per_s_without_lambda: m.tokens_per_s_without_lambda,
      prefill_s: m.prefill.total,
      prefill_tokens_per_s: m.prefill.prompt_len / m.prefill.total,
      energy_uj_per_token: m.energy ? m.energy.uj.total : null,
    },
    unavailable: null,
    bound: m.decode.intra_bank.weights.bound,
  };
}
