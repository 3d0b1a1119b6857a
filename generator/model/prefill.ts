// Prefill (beyond the seed's numbers, after its section 3.2.2): the prompt's N tokens go through
// the weights as a GEMM, tiled by `prefill_batch` tokens whose activations sit in each bank's BRAM,
// so every weight read from bank memory is reused by the whole tile.
//
// Per tile of b tokens:
//   weights    max(weight bytes / bank bandwidth, b × weight MACs / bank MAC rate)  — compute-bound
//              once b exceeds the MACs' headroom over the bandwidth;
//   attention  each token attends over positions 0..p (causal), at the decode model's cost for
//              context p+1 (no K/V reuse across the tile is assumed: a conservative bound);
//   transfers  the decode step's transfer count once per tile (a tile's vectors travel together),
//              bytes for all b tokens;
//   controller the decode step's element-wise work for each token.
import type { Derived } from "../spec/derive.js";
import type { AttentionMapping } from "../spec/schema.js";
import { decodeTime, decodeWork, type Bound } from "./decode.js";
import type { Rates } from "./rates.js";

export interface PrefillTime {
  unit: Rates["unit"];
  prompt_len: number;
  batch: number;
  tiles: number;
  weights: number;
  weights_bound: Bound;
  attention: number;
  transfer: number;
  transfers: number;
  lambda: number;
  controller: number;
  total: number;
  /** Bank MAC rate (all banks, MACs per unit time) at which the weight GEMM stops being compute-bound. */
  macs_for_memory_bound: number;
}

export function prefillTime(d: Derived, mapping: AttentionMapping, r: Rates, promptLen: number): PrefillTime {
  const b = d.prefill_batch;
  const tiles = Math.ceil(promptLen / b);
  let weights = 0;
  let attention = 0;
  let transfer = 0;
  let transfers = 0;
  let controller = 0;
  let computeBoundTiles = 0;
  const step = decodeTime(decodeWork(d, mapping, 1), r);
  for (let t = 0; t < tiles; t++) {
    const first = t * b;
    const tokens = Math.min(b, promptLen - first);
    const memory = step.intra_bank.weights.memory;
    const compute = tokens * step.intra_bank.weights.compute;
    weights += Math.max(memory, compute);
    if (compute > memory) computeBoundTiles++;
    transfers += step.total.transfers;
    transfer += tokens * step.controller_bank.weights.transfer;
    for (let p = first; p < first + tokens; p++) {
      const tok = decodeTime(decodeWork(d, mapping, p + 1), r);
      attention += tok.intra_bank.kv.time;
      transfer += tok.controller_bank.kv.transfer;
      controller += tok.intra_controller.weights.time + tok.intra_controller.kv.time;
    }
  }
  const lambda = transfers * r.lambda;
  return {
    unit: r.unit,
    prompt_len: promptLen,
    batch: b,
    tiles,
    weights,
    weights_bound: computeBoundTiles > 0 ? "compute" : "memory",
    attention,
    transfer,
    transfers,
    lambda,
    controller,
    total: weights + attention + transfer + lambda + controller,
    macs_for_memory_bound: (d.weights_in_gemv * b) / step.intra_bank.weights.memory,
  };
}
