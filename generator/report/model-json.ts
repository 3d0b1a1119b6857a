// The model as JSON (`gen-rtl model --json`, and model.json in the output folder). Times in the
// seconds view end in _s, in the cycle view in _cycles; bandwidths are GiB/s (2^30 bytes/s).
import { GIB } from "../spec/derive.js";
import type { DecodeTime } from "../model/decode.js";
import { isAvailable, type MappingModel, type ModelResult } from "../model/index.js";
import type { PrefillTime } from "../model/prefill.js";

type Suffix = "s" | "cycles";

function decodeJson(t: DecodeTime, x: Suffix) {
  return {
    intra_bank: {
      [`weights_${x}`]: t.intra_bank.weights.time,
      [`kv_${x}`]: t.intra_bank.kv.time,
      weights_bound: t.intra_bank.weights.bound,
      kv_bound: t.intra_bank.kv.bound,
    },
    controller_bank: {
      weights: { transfers: t.controller_bank.weights.transfers, [`transfer_${x}`]: t.controller_bank.weights.transfer, [`lambda_${x}`]: t.controller_bank.weights.lambda },
      kv: { transfers: t.controller_bank.kv.transfers, [`transfer_${x}`]: t.controller_bank.kv.transfer, [`lambda_${x}`]: t.controller_bank.kv.lambda },
    },
    intra_controller: {
      [`weights_${x}`]: t.intra_controller.weights.time,
      [`kv_${x}`]: t.intra_controller.kv.time,
      weights_bound: t.intra_controller.weights.bound,
      kv_bound: t.intra_controller.kv.bound,
    },
    total: {
      transfers: t.total.transfers,
      [`bandwidth_${x}`]: t.total.bandwidth,
      [`lambda_${x}`]: t.total.lambda,
      [x]: t.total.time,
    },
  };
}

function prefillJson(p: PrefillTime, x: Suffix) {
  return {
    prompt_len: p.prompt_len,
    batch: p.batch,
    tiles: p.tiles,
    [`weights_${x}`]: p.weights,
    weights_bound: p.weights_bound,
    [`attention_${x}`]: p.attention,
    transfers: p.transfers,
    [`transfer_${x}`]: p.transfer,
    [`lambda_${x}`]: p.lambda,
    [`controller_${x}`]: p.controller,
    [x]: p.total,
  };
}

function mappingJson(m: MappingModel) {
  return {
    banks_per_head: m.banks_per_head,
    decode: {
      ...decodeJson(m.decode, "s"),
      tokens_per_s: m.tokens_per_s,
      tokens_per_s_without_lambda: m.tokens_per_s_without_lambda,
      us_per_token: m.decode.total.time * 1e6,
    },
    decode_cycles: decodeJson(m.decode_cycles, "cycles"),
    utilisation: m.utilisation,
    prefill: { ...prefillJson(m.prefill, "s"), tokens_per_s: m.prefill.prompt_len / m.prefill.total, bank_ops_per_s_for_memory_bound: 2 * m.prefill.macs_for_memory_bound },
    prefill_cycles: prefillJson(m.prefill_cycles, "cycles"),
    energy: m.energy ? { ...m.energy, uj_per_token: m.energy.uj.total } : null,
    ...(m.inverse ? { inverse: m.inverse } : {}),
  };
}

export function modelJson(r: ModelResult) {
  const d = r.derived;
  const mappings: Record<string, unknown> = {};
  for (const [name, m] of Object.entries(r.mappings)) {
    mappings[name] = isAvailable(m) ? mappingJson(m) : { unavailable: m?.unavailable };
  }
  return {
    spec: r.spec.name,
    units: {
      time: "s (the _s fields) or clock cycles (the _cycles fields)",
      bandwidth: "GiB/s, 1 GiB = 2^30 bytes (the seed's GB)",
      sizes: "bytes",
      energy: "µJ per token",
    },
    model: d.model,
    chip: {
      dies: r.spec.chip.dies,
      banks_per_die: r.spec.chip.banks_per_die,
      banks: d.banks,
      clock_mhz: r.spec.clock_mhz,
    },
    rates: {
      banks_gib_per_s: d.bandwidth.banks.bytes_per_s / GIB,
      controller_bank_gib_per_s: d.bandwidth.controller_bank.bytes_per_s / GIB,
      controller_gib_per_s: d.bandwidth.controller.bytes_per_s / GIB,
      lambda_s: d.lambda.s,
      lambda_cycles: d.lambda.cycles,
      source: {
        banks: d.bandwidth.banks.source,
        controller_bank: d.bandwidth.controller_bank.source,
        controller: d.bandwidth.controller.source,
        lambda: d.lambda.source,
      },
      per_cycle: d.per_cycle,
    },
    weights_in_gemv: d.weights_in_gemv,
    max_seq_len: r.sizing.max_seq_len,
    mappings,
    sizing: r.sizing,
    seed_comparison: r.seed,
    ...(r.chip ? { chip_prediction: r.chip } : {}),
  };
}
