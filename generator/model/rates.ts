// The rates the model divides work by, in one of two units. The same decode formulas run on
// either: `seconds` gives the seed's system view (bandwidths in bytes/s, overrides applied, λ in
// seconds); `cycles` gives the RTL's view (bytes per cycle from the widths, λ in cycles). With no
// override, seconds = cycles / clock exactly.
import type { Derived } from "../spec/derive.js";

export type Unit = "s" | "cycles";

export interface Rates {
  unit: Unit;
  /** Bytes one bank reads from its memory per unit of time. */
  bank_bytes: number;
  /** MACs one bank does per unit of time. */
  bank_macs: number;
  /** Bytes the controller <-> bank bus moves per unit of time, all die links together (CBM). */
  bus_bytes: number;
  /** Bytes the controller's memories deliver per unit of time (CM). */
  controller_bytes: number;
  /** Elements the controller's ALUs process per unit of time. */
  controller_ops: number;
  /** Fixed cost of one controller <-> bank transfer. */
  lambda: number;
}

export function secondsRates(d: Derived): Rates {
  return {
    unit: "s",
    bank_bytes: d.bandwidth.banks.bytes_per_s / d.banks,
    bank_macs: d.per_cycle.bank_macs * d.clock_hz,
    bus_bytes: d.bandwidth.controller_bank.bytes_per_s,
    controller_bytes: d.bandwidth.controller.bytes_per_s,
    controller_ops: d.per_cycle.controller_ops * d.clock_hz,
    lambda: d.lambda.s,
  };
}

export function cycleRates(d: Derived): Rates {
  return {
    unit: "cycles",
    bank_bytes: d.per_cycle.bank_bytes,
    bank_macs: d.per_cycle.bank_macs,
    bus_bytes: d.per_cycle.bus_bytes,
    controller_bytes: d.per_cycle.controller_bytes,
    controller_ops: d.per_cycle.controller_ops,
    lambda: d.lambda.cycles,
  };
}

/** Scale every bandwidth and compute rate by `k` (λ unchanged): the inverse question's knob. */
export function scaleRates(r: Rates, k: number): Rates {
  return {
    ...r,
    bank_bytes: r.bank_bytes * k,
    bank_macs: r.bank_macs * k,
    bus_bytes: r.bus_bytes * k,
    controller_bytes: r.controller_bytes * k,
    controller_ops: r.controller_ops * k,
  };
}
