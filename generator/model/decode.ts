// The seed's decode model (001, section 3.1), generalised: time per token = intra-bank time
// (weights + KV) + controller <-> bank transfers (count × λ + bytes / CBM) + intra-controller time.
//
// It is split in two so that one model serves two granularities:
//   decodeWork(d, mapping, L)  — what one token moves and computes (bytes, MACs, transfers, elements),
//                                unit-free;
//   decodeTime(work, rates)    — that work divided by the rates of one unit (seconds or cycles).
//
// Generalisations of the seed's formulas (they reduce to the seed's for its LLaMA-7B chip):
//  * banks read whole words of read_bits: a weight row (or one position's K or V) is padded to
//    whole words. The seed's sizes are all whole words, so its figures are unchanged.
//  * intra-bank time is the busiest bank's bytes over one bank's bandwidth. With rows split evenly
//    over all banks this is the seed's total / BM; with ceil(rows / banks) it stays right when rows
//    do not divide. For attention, only the banks holding KV heads work: the seed's BM/4 is
//    32 heads on 128 banks.
//  * each component is the larger of its memory time and its compute time. The seed assumes compute
//    keeps up (hypothesis 3.1.1); the model checks it (`bound`).
//  * GQA: K and V projections are num_key_value_heads × head_dim wide; a bank serves one KV head and
//    all the query heads of its group.
import { mappingInfeasibility } from "../spec/checks.js";
import type { Derived } from "../spec/derive.js";
import type { AttentionMapping } from "../spec/schema.js";
import type { Rates } from "./rates.js";

/** Work on the banks: what the busiest bank does, and how many banks take part. */
export interface BankWork {
  busiest_bank_bytes: number;
  busiest_bank_macs: number;
  total_bytes: number;
  total_macs: number;
  active_banks: number;
}

export interface TransferWork {
  transfers: number;
  bytes: number;
  /** Share of the bus bandwidth CBM this traffic can use (the seed's CBM/4 for bank_per_head). */
  bus_share: number;
}

export interface ControllerWork {
  elements: number;
  bytes: number;
}

export interface DecodeWork {
  mapping: AttentionMapping;
  context_len: number;
  banks_per_head: number;
  intra_bank: { weights: BankWork; kv: BankWork };
  controller_bank: { weights: TransferWork; kv: TransferWork };
  intra_controller: { weights: ControllerWork; kv: ControllerWork };
}

export type Bound = "memory" | "compute";

export interface ComponentTime {
  time: number;
  memory: number;
  compute: number;
  bound: Bound;
}

export interface TransferTime {
  transfers: number;
  /** bytes / (CBM × share): the transfer time without λ. */
  transfer: number;
  lambda: number;
}

export interface DecodeTime {
  unit: Rates["unit"];
  intra_bank: { weights: ComponentTime; kv: ComponentTime };
  controller_bank: { weights: TransferTime; kv: TransferTime };
  intra_controller: { weights: ComponentTime; kv: ComponentTime };
  total: { transfers: number; bandwidth: number; lambda: number; time: number };
}

/**
 * Bytes a bank reads for `bits` of data: banks read whole words of read_bits, so a row of weights
 * (or one position's K or V) is padded to a whole number of words.
 */
export function bankReadBytes(d: Derived, bits: number): number {
  const wordBits = d.per_cycle.bank_bytes * 8;
  return Math.ceil(bits / wordBits) * d.per_cycle.bank_bytes;
}

function attentionBankWork(d: Derived, mapping: AttentionMapping, L: number): BankWork {
  const m = d.model;
  const layers = m.num_hidden_layers;
  const kv = d.bytes.kv;
  const kvRowBytes = bankReadBytes(d, m.head_dim * kv * 8);
  if (mapping === "bank_per_head") {
    // One bank per KV head: it streams K and V for the whole context, and writes and reads back
    // the scores of its query heads (the seed's NUM_HEAD × L term) for its own softmax.
    const perBankBytes = layers * (2 * L * kvRowBytes + bankReadBytes(d, m.group * L * d.bytes.activation * 8));
    const perBankMacs = layers * 2 * m.group * L * m.head_dim;
    const active = m.num_key_value_heads;
    return {
      busiest_bank_bytes: perBankBytes,
      busiest_bank_macs: perBankMacs,
      total_bytes: perBankBytes * active,
      total_macs: perBankMacs * active,
      active_banks: active,
    };
  }
  // Several banks per KV head: each holds ceil(L / bph) positions of the context; scores go to the
  // controller for softmax, so the banks only stream K and V.
  const bph = d.banks_per_head;
  const slice = Math.ceil(L / bph);
  const perBankBytes = layers * 2 * slice * kvRowBytes;
  const perBankMacs = layers * 2 * m.group * slice * m.head_dim;
  return {
    busiest_bank_bytes: perBankBytes,
    busiest_bank_macs: perBankMacs,
    total_bytes: layers * 2 * L * m.kv_dim * kv,
    total_macs: layers * 2 * m.num_attention_heads * L * m.head_dim,
    active_banks: m.num_key_value_heads * bph,
  };
}

export function decodeWork(d: Derived, mapping: AttentionMapping, L: number): DecodeWork {
  const infeasible = mappingInfeasibility(d, mapping);
  if (infeasible) throw new Error(`decodeWork: ${infeasible.path}: ${infeasible.message}`);
  const m = d.model;
  const layers = m.num_hidden_layers;
  const H = m.hidden_size;
  const act = d.bytes.activation;
  const bph = mapping === "banks_per_head" ? d.banks_per_head : 1;

  // Weight GEMVs, rows split over all banks (seed 2.2.1, one-dimensional partition).
  let busiestBytes = 0;
  let busiestMacs = 0;
  // The MAC array takes `mac_lanes` weights a beat: a row costs ceil(cols / lanes) beats.
  const lanes = d.per_cycle.bank_macs;
  for (const g of d.gemvs) {
    const rows = Math.ceil(g.rows / d.banks);
    busiestBytes += g.count * rows * bankReadBytes(d, g.cols * d.bytes.weight * 8);
    busiestMacs += g.count * rows * Math.ceil(g.cols / lanes) * lanes;
  }
  const weights: BankWork = {
    busiest_bank_bytes: busiestBytes,
    busiest_bank_macs: busiestMacs,
    total_bytes: d.weights_in_gemv * d.bytes.weight,
    total_macs: d.weights_in_gemv,
    active_banks: d.banks,
  };

  // Seed 3.1.3: every GEMV is two transfers, the input vector out and the result back.
  const gemvTransfers = d.gemvs.reduce((s, g) => s + g.count, 0);
  const weightTraffic: TransferWork = {
    transfers: 2 * gemvTransfers,
    bytes: d.gemvs.reduce((s, g) => s + g.count * (g.cols + g.rows), 0) * act,
    bus_share: 1,
  };

  const attention = attentionBankWork(d, mapping, L);
  const heads = m.num_attention_heads;
  const kvTraffic: TransferWork =
    mapping === "bank_per_head"
      ? // q out to the head's bank, the head's output back.
        { transfers: 2 * layers, bytes: layers * 2 * H * act, bus_share: attention.active_banks / d.banks }
      : // q out to each of the bph banks, scores back, probabilities out, partial outputs back.
        {
          transfers: 2 * layers * 2,
          bytes: layers * (bph * H + heads * L + heads * L + bph * H) * act,
          bus_share: attention.active_banks / d.banks,
        };

  // Seed 3.1.4: the controller's element-wise work. Per layer: RMSNorm, residual, RMSNorm,
  // SiLU × up (2 × DIM_MLP), residual; the logits (V) once.
  const ctrlWeightsElements = m.vocab_size + layers * (H + H + H + 2 * m.intermediate_size + H);
  // Several banks per head: the controller runs softmax over all heads' scores and reduces the
  // bph partial outputs. (The seed writes L + 4H; NUM_HEAD × L + 4H is what its own transfer
  // volume delivers — see seed.ts.)
  const ctrlKvElements = mapping === "bank_per_head" ? 0 : layers * (heads * L + bph * H);

  return {
    mapping,
    context_len: L,
    banks_per_head: bph,
    intra_bank: { weights, kv: attention },
    controller_bank: { weights: weightTraffic, kv: kvTraffic },
    intra_controller: {
      weights: { elements: ctrlWeightsElements, bytes: ctrlWeightsElements * act },
      kv: { elements: ctrlKvElements, bytes: ctrlKvElements * act },
    },
  };
}

function component(memory: number, compute: number): ComponentTime {
  return { time: Math.max(memory, compute), memory, compute, bound: compute > memory ? "compute" : "memory" };
}

function bankTime(w: BankWork, r: Rates): ComponentTime {
  return component(w.busiest_bank_bytes / r.bank_bytes, w.busiest_bank_macs / r.bank_macs);
}

function controllerTime(w: ControllerWork, r: Rates): ComponentTime {
  return component(w.bytes / r.controller_bytes, w.elements / r.controller_ops);
}

function transferTime(w: TransferWork, r: Rates): TransferTime {
  return { transfers: w.transfers, transfer: w.bytes / (r.bus_bytes * w.bus_share), lambda: w.transfers * r.lambda };
}

export function decodeTime(w: DecodeWork, r: Rates): DecodeTime {
  const intra_bank = { weights: bankTime(w.intra_bank.weights, r), kv: bankTime(w.intra_bank.kv, r) };
  const controller_bank = {
    weights: transferTime(w.controller_bank.weights, r),
    kv: transferTime(w.controller_bank.kv, r),
  };
  const intra_controller = {
    weights: controllerTime(w.intra_controller.weights, r),
    kv: controllerTime(w.intra_controller.kv, r),
  };
  const bandwidth =
    intra_bank.weights.time +
    intra_bank.kv.time +
    controller_bank.weights.transfer +
    controller_bank.kv.transfer +
    intra_controller.weights.time +
    intra_controller.kv.time;
  const transfers = controller_bank.weights.transfers + controller_bank.kv.transfers;
  const lambda = transfers * r.lambda;
  return {
    unit: r.unit,
    intra_bank,
    controller_bank,
    intra_controller,
    total: { transfers, bandwidth, lambda, time: bandwidth + lambda },
  };
}

/** Share of the roofline each part reaches: total work / (busiest bank's work × all banks). */
export interface Utilisation {
  banks_weights: number;
  banks_kv: number;
  bus_kv: number;
}

export function utilisation(w: DecodeWork, banks: number): Utilisation {
  return {
    banks_weights: w.intra_bank.weights.total_bytes / (w.intra_bank.weights.busiest_bank_bytes * banks),
    banks_kv: w.intra_bank.kv.total_bytes / (w.intra_bank.kv.busiest_bank_bytes * banks),
    bus_kv: w.controller_bank.kv.bus_share,
  };
}
