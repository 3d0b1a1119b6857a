// Derived parameters: everything computed from the spec, computed once, here. The model, the
// generator and the harness read these and never re-derive them from the raw spec.
import { MODEL_PRESETS, type ModelDims } from "./models.js";
import type { AttentionMapping, Spec } from "./schema.js";

/** The seed's "GB": 2^30 bytes. */
export const GIB = 2 ** 30;

export const DEFAULT_PREFILL_BATCH = 16;

export interface ResolvedModel extends ModelDims {
  /** Preset name, or "custom". */
  preset: string;
  head_dim: number;
  /** num_key_value_heads × head_dim: width of the K and V projections. */
  kv_dim: number;
  /** Query heads sharing one KV head (1 without GQA). */
  group: number;
}

/** One GEMV of a decode step: `rows` outputs, each the dot product of `cols` weights with the input. */
export interface Gemv {
  name: "q" | "k" | "v" | "o" | "gate" | "up" | "down" | "lm_head";
  cols: number;
  rows: number;
  /** How many times it runs per token. */
  count: number;
}

export type RateSource = "derived" | "override";

/** A bandwidth in bytes per second, with where it came from. */
export interface Bandwidth {
  bytes_per_s: number;
  /** What clock × widths give, whether or not it is overridden. */
  derived_bytes_per_s: number;
  source: RateSource;
}

export interface Derived {
  model: ResolvedModel;
  banks: number;
  clock_hz: number;
  /** Bytes per element. */
  bytes: { weight: number; kv: number; activation: number };
  /** Per-cycle widths of the hardware (the cycle view). */
  per_cycle: {
    /** Bytes one bank reads per cycle. */
    bank_bytes: number;
    /** Bytes the bus moves per cycle, all die links together. */
    bus_bytes: number;
    /** Bytes the controller's memories deliver per cycle. */
    controller_bytes: number;
    /** MACs one bank does per cycle. */
    bank_macs: number;
    /** Elements the controller's ALUs process per cycle. */
    controller_ops: number;
    /** Quotient bits the controller's serial divider computes per cycle (chip.controller.divider_bits, default 4). */
    controller_div_bits: number;
  };
  /** Seconds view: bandwidths in bytes/s (overrides applied). */
  bandwidth: { banks: Bandwidth; controller_bank: Bandwidth; controller: Bandwidth };
  lambda: { cycles: number; s: number; source: RateSource };
  gemvs: Gemv[];
  weights_in_gemv: number;
  /** Bytes of KV cache per token of context, all layers, K and V. */
  kv_bytes_per_token: number;
  mapping: AttentionMapping;
  banks_per_head: number;
  prefill_batch: number;
}

export function resolveModel(model: Spec["model"]): ResolvedModel {
  const dims: ModelDims =
    typeof model === "string"
      ? MODEL_PRESETS[model]
      : { ...model, num_key_value_heads: model.num_key_value_heads ?? model.num_attention_heads };
  const head_dim = dims.hidden_size / dims.num_attention_heads;
  return {
    preset: typeof model === "string" ? model : "custom",
    ...dims,
    head_dim,
    kv_dim: dims.num_key_value_heads * head_dim,
    group: dims.num_attention_heads / dims.num_key_value_heads,
  };
}

/** The GEMVs of one decode step (seed 2.2): 7 per layer, plus the LM head. */
export function decodeGemvs(m: ResolvedModel): Gemv[] {
  const L = m.num_hidden_layers;
  const H = m.hidden_size;
  const F = m.intermediate_size;
  return [
    { name: "q", cols: H, rows: H, count: L },
    { name: "k", cols: H, rows: m.kv_dim, count: L },
    { name: "v", cols: H, rows: m.kv_dim, count: L },
    { name: "o", cols: H, rows: H, count: L },
    { name: "gate", cols: H, rows: F, count: L },
    { name: "up", cols: H, rows: F, count: L },
    { name: "down", cols: F, rows: H, count: L },
    { name: "lm_head", cols: H, rows: m.vocab_size, count: 1 },
  ];
}

function bandwidth(derivedBytesPerS: number, overrideGiBPerS: number | undefined): Bandwidth {
  return overrideGiBPerS === undefined
    ? { bytes_per_s: derivedBytesPerS, derived_bytes_per_s: derivedBytesPerS, source: "derived" }
    : { bytes_per_s: overrideGiBPerS * GIB, derived_bytes_per_s: derivedBytesPerS, source: "override" };
}

/** Default banks per head: as many as fit when every KV head gets the same number. */
export function defaultBanksPerHead(banks: number, kvHeads: number): number {
  return Math.max(1, Math.floor(banks / kvHeads));
}

/** chip.controller.divider_bits when the spec leaves it out. */
export const DEFAULT_DIVIDER_BITS = 4;

export function derive(spec: Spec): Derived {
  const model = resolveModel(spec.model);
  const { chip, numerics } = spec;
  const banks = chip.dies * chip.banks_per_die;
  const clock_hz = spec.clock_mhz * 1e6;
  const per_cycle = {
    bank_bytes: chip.bank.read_bits / 8,
    bus_bytes: (chip.dies * chip.bus.bits) / 8,
    controller_bytes: chip.controller.mem_bits / 8,
    bank_macs: chip.bank.mac_lanes,
    controller_ops: chip.controller.vector_lanes,
    controller_div_bits: chip.controller.divider_bits ?? DEFAULT_DIVIDER_BITS,
  };
  const bw = spec.bandwidth_gib_per_s ?? {};
  const gemvs = decodeGemvs(model);
  const b = {
    weight: numerics.weight_bits / 8,
    kv: numerics.kv_bits / 8,
    activation: numerics.activation_bits / 8,
  };
  return {
    model,
    banks,
    clock_hz,
    bytes: b,
    per_cycle,
    bandwidth: {
      banks: bandwidth(banks * per_cycle.bank_bytes * clock_hz, bw.banks),
      controller_bank: bandwidth(per_cycle.bus_bytes * clock_hz, bw.controller_bank),
      controller: bandwidth(per_cycle.controller_bytes * clock_hz, bw.controller),
    },
    lambda: {
      cycles: chip.bus.latency_cycles,
      s: spec.lambda_s ?? chip.bus.latency_cycles / clock_hz,
      source: spec.lambda_s === undefined ? "derived" : "override",
    },
    gemvs,
    weights_in_gemv: gemvs.reduce((sum, g) => sum + g.cols * g.rows * g.count, 0),
    kv_bytes_per_token: model.num_hidden_layers * 2 * model.kv_dim * b.kv,
    mapping: spec.workload.attention_mapping,
    banks_per_head: spec.workload.banks_per_head ?? defaultBanksPerHead(banks, model.num_key_value_heads),
    prefill_batch: spec.workload.prefill_batch ?? DEFAULT_PREFILL_BATCH,
  };
}
