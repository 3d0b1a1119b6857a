// Buffer sizing (seed 3.2 and 3.3): how large CRAM, CMEM, BRAM and DieRAM must be for this spec,
// next to what the spec gives them, and the longest context the bank memories hold.
import { bankStorageBytes } from "../spec/checks.js";
import type { Derived } from "../spec/derive.js";
import type { Spec } from "../spec/schema.js";

export interface SizingItem {
  /** Spec field that holds the size. */
  field: string;
  need_bytes: number;
  have_bytes: number;
  ok: boolean;
  /** How `need_bytes` is computed. */
  rule: string;
}

export interface Sizing {
  cram: SizingItem;
  cram_all_heads_bytes: number;
  cmem: SizingItem;
  bram: SizingItem;
  dieram: SizingItem;
  bank_memory: SizingItem;
  /** Longest context whose K and V cache fits next to the weights. */
  max_seq_len: number;
}

function item(field: string, need: number, have: number, rule: string): SizingItem {
  return { field, need_bytes: need, have_bytes: have, ok: need <= have, rule };
}

/** CRAM for the softmax of one head's L scores (seed 3.2.1: 8 KB at L = 16K and 4-bit scores). */
export function cramBytes(d: Derived, L: number): number {
  return L * d.bytes.activation;
}

/** CMEM for prefill's N × N score matrix of one head (seed 3.2.1: 128 MB at N = 16K). */
export function cmemPrefillBytes(d: Derived, N: number): number {
  return N * N * d.bytes.activation;
}

/** BRAM for a prefill tile: `prefill_batch` hidden-size input vectors (seed 3.2.2: 16–64 KB). */
export function bramTileBytes(d: Derived): number {
  return d.prefill_batch * d.model.hidden_size * d.bytes.activation;
}

/** Seed 2.3.1 (corrected): context length whose K and V fit beside the GEMV weights. */
export function maxSeqLen(d: Derived, bankMemoryBytes: number): number {
  const free = d.banks * bankMemoryBytes - d.weights_in_gemv * d.bytes.weight;
  return Math.max(0, Math.floor(free / d.kv_bytes_per_token));
}

export function sizing(spec: Spec, d: Derived): Sizing {
  const m = d.model;
  const a = d.bytes.activation;
  const L = spec.workload.context_len;
  const N = spec.workload.prompt_len;
  const ctrl = spec.chip.controller;
  const widestInput = Math.max(m.hidden_size, m.intermediate_size);
  const decodeLive = (4 * m.hidden_size + 2 * m.kv_dim + 2 * m.intermediate_size + m.vocab_size) * a;
  const cmemNeed = Math.max(cmemPrefillBytes(d, N), decodeLive);
  const bramNeed = Math.max(bramTileBytes(d), widestInput * a);
  return {
    cram: item("chip.controller.cram_bytes", cramBytes(d, L), ctrl.cram_bytes, "context_len × activation bytes: one head's scores for softmax"),
    cram_all_heads_bytes: m.num_attention_heads * cramBytes(d, L),
    cmem: item(
      "chip.controller.cmem_bytes",
      cmemNeed,
      ctrl.cmem_bytes,
      "max(prompt_len² scores of one head in prefill, a decode step's live vectors 4H + 2·kv_dim + 2·DIM_MLP + V) × activation bytes",
    ),
    bram: item(
      "chip.bank.bram_bytes",
      bramNeed,
      spec.chip.bank.bram_bytes,
      "max(prefill_batch × H, max(H, DIM_MLP)) × activation bytes: a prefill tile's inputs, or one GEMV input",
    ),
    dieram: item("chip.die.dieram_bytes", widestInput * a, spec.chip.die.dieram_bytes, "max(H, DIM_MLP) × activation bytes: one broadcast vector"),
    bank_memory: item(
      "chip.bank.memory_bytes",
      Math.ceil(bankStorageBytes(d, L) / d.banks),
      spec.chip.bank.memory_bytes,
      "(GEMV weights + context_len × KV bytes per token) / banks, spread evenly",
    ),
    max_seq_len: maxSeqLen(d, spec.chip.bank.memory_bytes),
  };
}
