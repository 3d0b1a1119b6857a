// Energy per token (the µJ/token seed 000 asks CIM papers to report), from the decode step's work
// and the spec's per-operation energies.
import type { Spec } from "../spec/schema.js";
import type { DecodeWork } from "./decode.js";

export interface EnergyPerToken {
  macs: number;
  bank_read_bits: number;
  bus_bits: number;
  controller_ops: number;
  /** µJ per token, by part and in total. */
  uj: { mac: number; bank_read: number; bus: number; controller: number; total: number };
}

export function energyPerToken(w: DecodeWork, e: NonNullable<Spec["energy"]>): EnergyPerToken {
  const macs = w.intra_bank.weights.total_macs + w.intra_bank.kv.total_macs;
  const bank_read_bits = 8 * (w.intra_bank.weights.total_bytes + w.intra_bank.kv.total_bytes);
  const bus_bits = 8 * (w.controller_bank.weights.bytes + w.controller_bank.kv.bytes);
  const controller_ops = w.intra_controller.weights.elements + w.intra_controller.kv.elements;
  const pj = {
    mac: macs * e.mac_pj,
    bank_read: bank_read_bits * e.bank_read_pj_per_bit,
    bus: bus_bits * e.bus_pj_per_bit,
    controller: controller_ops * e.controller_op_pj,
  };
  const uj = {
    mac: pj.mac / 1e6,
    bank_read: pj.bank_read / 1e6,
    bus: pj.bus / 1e6,
    controller: pj.controller / 1e6,
    total: (pj.mac + pj.bank_read + pj.bus + pj.controller) / 1e6,
  };
  return { macs, bank_read_bits, bus_bits, controller_ops, uj };
}
