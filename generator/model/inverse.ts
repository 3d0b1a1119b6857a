// The inverse question (seed 3.3): what bandwidths and compute reach a target decode speed?
// All rates (bank, bus, controller bandwidths and compute) are scaled by one factor k until
//   bandwidth_s / k + transfers × λ = 1 / target.
// λ is not a bandwidth: when transfers × λ alone exceeds the budget, no bandwidth reaches the
// target, and the answer is the largest λ that could.
import { GIB, type Derived } from "../spec/derive.js";
import { decodeTime, type DecodeWork } from "./decode.js";
import { scaleRates, type Rates } from "./rates.js";

export interface Requirement {
  /** Factor applied to every rate of the spec. */
  scale: number;
  banks_gib_per_s: number;
  controller_bank_gib_per_s: number;
  controller_gib_per_s: number;
  /** Bank MAC array throughput, all banks, in ops/s (1 MAC = 2 ops). */
  bank_ops_per_s: number;
  /** Controller ALU throughput in element ops/s. */
  controller_ops_per_s: number;
}

export interface InverseAnswer {
  target_tokens_per_s: number;
  budget_s: number;
  transfers: number;
  lambda_s: number;
  reachable: boolean;
  /** Largest λ at which the target is reachable with unbounded bandwidth. */
  max_lambda_s: number;
  /** Requirement with the spec's λ (undefined when unreachable). */
  with_lambda?: Requirement;
  /** Requirement if transfers had no fixed latency (λ = 0). */
  without_lambda: Requirement;
}

function requirement(d: Derived, r: Rates, k: number): Requirement {
  const s = scaleRates(r, k);
  return {
    scale: k,
    banks_gib_per_s: (s.bank_bytes * d.banks) / GIB,
    controller_bank_gib_per_s: s.bus_bytes / GIB,
    controller_gib_per_s: s.controller_bytes / GIB,
    bank_ops_per_s: 2 * s.bank_macs * d.banks,
    controller_ops_per_s: s.controller_ops,
  };
}

export function inverse(d: Derived, work: DecodeWork, seconds: Rates, target: number): InverseAnswer {
  const t = decodeTime(work, seconds);
  const budget = 1 / target;
  const lambda = t.total.lambda;
  const reachable = lambda < budget;
  return {
    target_tokens_per_s: target,
    budget_s: budget,
    transfers: t.total.transfers,
    lambda_s: seconds.lambda,
    reachable,
    max_lambda_s: budget / t.total.transfers,
    ...(reachable ? { with_lambda: requirement(d, seconds, t.total.bandwidth / (budget - lambda)) } : {}),
    without_lambda: requirement(d, seconds, t.total.bandwidth / budget),
  };
}
