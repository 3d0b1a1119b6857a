// Spec objects for tests: two hand-computable configurations (A: MHA, even splits; B: GQA,
// uneven row splits, compute-bound lanes) and a helper to vary any of them.
import { readFileSync } from "node:fs";
import { parseSpec, type LoadedSpec } from "../generator/spec/load.js";
import type { Spec } from "../generator/spec/schema.js";

/** 8 banks of 8-byte reads at 100 MHz; H 256, MLP 512, 2 layers, 4 heads, V 1000; L 128. */
export const CONFIG_A: Spec = {
  name: "config_a",
  clock_mhz: 100,
  numerics: { weight_bits: 4, kv_bits: 8, activation_bits: 8, accumulator_bits: 24 },
  chip: {
    dies: 2,
    banks_per_die: 4,
    bank: { memory_bytes: 262144, bram_bytes: 4096, mac_lanes: 16, read_bits: 64 },
    die: { dieram_bytes: 1024 },
    bus: { bits: 32, latency_cycles: 10 },
    controller: { cram_bytes: 1024, cmem_bytes: 65536, mem_bits: 64, vector_lanes: 8 },
  },
  model: {
    hidden_size: 256,
    intermediate_size: 512,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    vocab_size: 1000,
  },
  workload: { context_len: 128, prompt_len: 4, attention_mapping: "bank_per_head", prefill_batch: 2 },
  energy: { mac_pj: 1, bank_read_pj_per_bit: 0, bus_pj_per_bit: 0, controller_op_pj: 0 },
};

/** 3 banks of 4-byte reads, 2 MAC lanes (compute-bound), 8-bit weights; GQA 8 heads / 2 KV heads; L 20. */
export const CONFIG_B: Spec = {
  name: "config_b",
  clock_mhz: 50,
  numerics: { weight_bits: 8, kv_bits: 8, activation_bits: 8, accumulator_bits: 32 },
  chip: {
    dies: 1,
    banks_per_die: 3,
    bank: { memory_bytes: 131072, bram_bytes: 2048, mac_lanes: 2, read_bits: 32 },
    die: { dieram_bytes: 512 },
    bus: { bits: 16, latency_cycles: 5 },
    controller: { cram_bytes: 256, cmem_bytes: 8192, mem_bits: 32, vector_lanes: 2 },
  },
  model: {
    hidden_size: 128,
    intermediate_size: 320,
    num_hidden_layers: 1,
    num_attention_heads: 8,
    num_key_value_heads: 2,
    vocab_size: 100,
  },
  workload: { context_len: 20, prompt_len: 4, attention_mapping: "bank_per_head" },
};

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

function merge<T>(base: T, patch: DeepPartial<T> | undefined): T {
  if (patch === undefined) return base;
  if (typeof base !== "object" || base === null || typeof patch !== "object" || patch === null) return patch as T;
  const out = { ...base } as Record<string, unknown>;
  for (const [k, v] of Object.entries(patch)) out[k] = merge((base as Record<string, unknown>)[k], v as never);
  return out as T;
}

export function vary(base: Spec, patch: DeepPartial<Spec>): Spec {
  return merge(base, patch);
}

export function load(spec: Spec): LoadedSpec {
  return parseSpec(spec, `<${spec.name}>`);
}

/**
 * The chip tests' third parameter set: tiny with 4 dies × 2 banks, 16-bit links (64-bit beats),
 * 48-bit host words (narrower than a beat, not a divisor), 4-bit activations, λ = 3.
 */
export function chipVariant(): LoadedSpec {
  const s = JSON.parse(readFileSync("specs/tiny.json", "utf8")) as Spec;
  s.name = "chip_v";
  s.numerics.activation_bits = 4;
  s.numerics.accumulator_bits = 20;
  s.chip.dies = 4;
  s.chip.banks_per_die = 2;
  s.chip.bus = { bits: 16, latency_cycles: 3 };
  s.chip.controller.mem_bits = 48;
  return parseSpec(s, "<chip_v>");
}
