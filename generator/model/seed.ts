// The seed's own figures (001, sections 2.3 and 3), as printed, and the comparison of the model
// with them. The model is never tuned to these numbers: they are the independent reference the
// tests and the report hold the model against. Where the seed slipped, the model keeps the right
// value and the comparison says why the two differ (an "erratum").
import { GIB, type Derived } from "../spec/derive.js";
import { MODEL_PRESETS } from "../spec/models.js";
import type { AttentionMapping, Spec } from "../spec/schema.js";
import type { DecodeTime } from "./decode.js";
import type { PrefillTime } from "./prefill.js";
import { bramTileBytes, cmemPrefillBytes, cramBytes, maxSeqLen } from "./sizing.js";

export type SeedStatus = "agrees" | "erratum" | "differs";

export interface SeedRow {
  /** What is compared, as a JSON path of the model's output where there is one. */
  key: string;
  mapping?: AttentionMapping;
  /** The seed's figure as printed. */
  seed: string;
  ours: number;
  status: SeedStatus;
  /** Why an erratum differs. */
  why?: string;
}

export interface SeedComparison {
  applies: boolean;
  /** Why not, when the spec is not the seed's configuration. */
  reason?: string;
  /** The settings that differ from the seed's. */
  differences?: string[];
  rows: SeedRow[];
}

/** The seed's configuration: LLaMA-7B, L = 4096, 4-bit everything, BM/CBM/CM/λ of section 3.1.1. */
const SEED = {
  model: MODEL_PRESETS["llama-7b"],
  context_len: 4096,
  bits: 4,
  banks: 8 * 16,
  banks_gib: 8 * 512,
  controller_bank_gib: 8 * 32,
  controller_gib: 100,
  lambda_s: 1e-4,
  banks_per_head: 4,
  prefill_batch: 16,
  /** Section 3.2.1 sizes CRAM and CMEM for the longest L it expects, 16K. */
  sizing_len: 16384,
};

export const ERRATA = {
  kv_transfers:
    "the seed's formula 2 × NUM_LAYER × 2 gives 128 transfers (q out, scores back, probabilities out, partial outputs back: 4 per layer); its table prints 192",
  softmax_volume:
    "the seed's controller processes L + 4H elements per layer, but its softmax runs over the NUM_HEAD × L scores its own transfer volume brings back: NUM_HEAD × L + 4H",
  total_multi:
    "the seed's total 642λ + 1.27e-3 s is not the sum of its own cells (they sum to 9.0e-4 s); with 128 transfers and the corrected softmax volume the total is 578λ + 9.2e-4 s",
  max_seq_len:
    "the seed divides the free bank memory by NUM_LAYER × H / 2 bytes per token, which holds only K (or only V); storing both halves the context: 7564",
  ops_per_byte:
    "the seed's BM × 2 × batch counts 2 ops per weight byte (its 3.1.1 intensity, right for 8-bit weights); with its 4-bit weights a byte holds two weights: 4 ops per byte",
} as const;

/** Significant digits of a figure as printed, e.g. "4.61e-6" → 3. */
function digits(printed: string): number {
  const mantissa = printed.toLowerCase().split("e")[0]!.replace(/[-+.]/g, "").replace(/^0+/, "");
  return Math.max(1, mantissa.length);
}

/** True when `ours`, rounded to the seed's printed precision, is the seed's figure. */
export function agreesWithPrinted(ours: number, printed: string): boolean {
  const seed = Number(printed.replace(/,/g, ""));
  if (seed === 0) return ours === 0;
  if (Number.isInteger(seed) && !/[.e]/i.test(printed)) return ours === seed;
  return Number(ours.toPrecision(digits(printed))) === seed;
}

function row(key: string, seed: string, ours: number, mapping?: AttentionMapping, why?: string): SeedRow {
  const agrees = agreesWithPrinted(ours, seed);
  return {
    key,
    ...(mapping ? { mapping } : {}),
    seed,
    ours,
    status: agrees ? "agrees" : why ? "erratum" : "differs",
    ...(why && !agrees ? { why } : {}),
  };
}

/** How this spec differs from the seed's configuration (empty when it is the seed's). */
export function seedMismatch(spec: Spec, d: Derived): string[] {
  const m = d.model;
  const dims = Object.entries(SEED.model) as [keyof typeof SEED.model, number][];
  const diff: string[] = [];
  for (const [k, v] of dims) if (m[k] !== v) diff.push(`model.${k} ${m[k]} (seed ${v})`);
  if (spec.workload.context_len !== SEED.context_len) diff.push(`context_len ${spec.workload.context_len} (seed ${SEED.context_len})`);
  const n = spec.numerics;
  for (const [k, v] of [["weight_bits", n.weight_bits], ["kv_bits", n.kv_bits], ["activation_bits", n.activation_bits]] as const) {
    if (v !== SEED.bits) diff.push(`numerics.${k} ${v} (seed ${SEED.bits})`);
  }
  if (d.banks !== SEED.banks) diff.push(`banks ${d.banks} (seed ${SEED.banks})`);
  const gib = (x: number) => x / GIB;
  if (gib(d.bandwidth.banks.bytes_per_s) !== SEED.banks_gib) diff.push(`BM ${gib(d.bandwidth.banks.bytes_per_s)} GiB/s (seed ${SEED.banks_gib})`);
  if (gib(d.bandwidth.controller_bank.bytes_per_s) !== SEED.controller_bank_gib)
    diff.push(`CBM ${gib(d.bandwidth.controller_bank.bytes_per_s)} GiB/s (seed ${SEED.controller_bank_gib})`);
  if (gib(d.bandwidth.controller.bytes_per_s) !== SEED.controller_gib) diff.push(`CM ${gib(d.bandwidth.controller.bytes_per_s)} GiB/s (seed ${SEED.controller_gib})`);
  if (d.lambda.s !== SEED.lambda_s) diff.push(`λ ${d.lambda.s} s (seed ${SEED.lambda_s})`);
  if (d.banks_per_head !== SEED.banks_per_head) diff.push(`banks_per_head ${d.banks_per_head} (seed ${SEED.banks_per_head})`);
  if (d.prefill_batch !== SEED.prefill_batch) diff.push(`prefill_batch ${d.prefill_batch} (seed ${SEED.prefill_batch})`);
  return diff;
}

export interface SeedInputs {
  spec: Spec;
  derived: Derived;
  /** Seconds-view decode per mapping (both must be present for the comparison). */
  decode: Partial<Record<AttentionMapping, DecodeTime>>;
  prefill?: PrefillTime;
}

function rangeRow(key: string, seed: string, ours: number, lo: number, hi: number): SeedRow {
  return { key, seed, ours, status: ours >= lo && ours <= hi ? "agrees" : "differs" };
}

export function compareWithSeed({ spec, derived: d, decode, prefill }: SeedInputs): SeedComparison {
  const mismatch = seedMismatch(spec, d);
  if (mismatch.length > 0) return { applies: false, reason: `not the seed's configuration: ${mismatch.join(", ")}`, differences: mismatch, rows: [] };
  const rows: SeedRow[] = [row("weights_in_gemv", "6607077376", d.weights_in_gemv)];
  const one = decode.bank_per_head;
  const multi = decode.banks_per_head;
  const common = one ?? multi;
  if (common) {
    rows.push(
      row("decode.intra_bank.weights_s", "7.5e-4", common.intra_bank.weights.time),
      row("decode.controller_bank.weights.transfers", "450", common.controller_bank.weights.transfers),
      row("decode.controller_bank.weights.transfer_s", "4.61e-6", common.controller_bank.weights.transfer),
      row("decode.intra_controller.weights_s", "5.87e-6", common.intra_controller.weights.time),
    );
  }
  if (one) {
    const m = "bank_per_head";
    rows.push(
      row("decode.intra_bank.kv_s", "4.9e-4", one.intra_bank.kv.time, m),
      row("decode.controller_bank.kv.transfers", "64", one.controller_bank.kv.transfers, m),
      row("decode.controller_bank.kv.transfer_s", "1.91e-6", one.controller_bank.kv.transfer, m),
      row("decode.intra_controller.kv_s", "0", one.intra_controller.kv.time, m),
      row("decode.total.transfers", "514", one.total.transfers, m),
      row("decode.total.bandwidth_s", "1.25e-3", one.total.bandwidth, m),
    );
  }
  if (multi) {
    const m = "banks_per_head";
    rows.push(
      row("decode.intra_bank.kv_s", "1.2e-4", multi.intra_bank.kv.time, m),
      row("decode.controller_bank.kv.transfers", "192", multi.controller_bank.kv.transfers, m, ERRATA.kv_transfers),
      row("decode.controller_bank.kv.transfer_s", "1.72e-5", multi.controller_bank.kv.transfer, m),
      row("decode.intra_controller.kv_s", "3.05e-6", multi.intra_controller.kv.time, m, ERRATA.softmax_volume),
      row("decode.total.transfers", "642", multi.total.transfers, m, ERRATA.kv_transfers),
      row("decode.total.bandwidth_s", "1.27e-3", multi.total.bandwidth, m, ERRATA.total_multi),
    );
  }
  rows.push(
    row("max_seq_len", "15128", maxSeqLen(d, spec.chip.bank.memory_bytes), undefined, ERRATA.max_seq_len),
    row("sizing.cram_min_bytes_at_16k", "8192", cramBytes(d, SEED.sizing_len)),
    row("sizing.cram_all_heads_bytes_at_16k", "262144", d.model.num_attention_heads * cramBytes(d, SEED.sizing_len)),
    row("sizing.cmem_min_bytes_at_16k", "134217728", cmemPrefillBytes(d, SEED.sizing_len)),
    rangeRow("sizing.bram_tile_bytes_batch_16", "16 KB ~ 64 KB", bramTileBytes(d), 16 * 1024, 64 * 1024),
  );
  if (prefill) {
    // Seed 3.2.2: "BM × 2 × batch_size ops" keeps prefill memory-bound; evaluated at its BM and batch 16.
    const seedOps = SEED.banks_gib * GIB * 2 * SEED.prefill_batch;
    rows.push(row("prefill.bank_ops_per_s_for_memory_bound", seedOps.toExponential(2).replace("e+", "e"), 2 * prefill.macs_for_memory_bound, undefined, ERRATA.ops_per_byte));
  }
  return { applies: true, rows };
}

/** Seed 3.3: what it concludes a 50 tokens/s chip needs (shown beside the inverse answer). */
export const SEED_50_TOKENS_PER_S = {
  target_tokens_per_s: 50,
  cram: "256 KB",
  cmem: "256 MB",
  bram: "16 KB ~ 64 KB",
  banks_bandwidth: "512 GB/s",
  bank_compute: "512×2 ~ 512×2×16 Gops",
  controller_bank_bandwidth: "4 ~ 32 GB/s",
  controller_bandwidth: "16 GB/s",
  controller_compute: "32 Gops",
  note: "the seed divides its three bandwidths by about 8 (its 'an order of magnitude') from 1.25e-3 s per token, with the controller on chip so that λ is negligible",
} as const;
