// The bank's MAC array: multipliers, pipelined adder tree, wrapping accumulator (templates/rtl/mac_array.v.hbs).
import type { BankParams } from "./params.js";
import { render } from "./render.js";
import { rtlModule, type RtlModule } from "./module.js";

export function macArrayModule(p: BankParams): RtlModule {
  return rtlModule(
    `${p.name}_mac_array`,
    render("rtl/mac_array.v.hbs", {
      name: p.name,
      lanes: p.lanes,
      // The bank instantiates it with max(weight_bits, kv_bits)-bit weights (KV mode); the default is the same.
      weight_bits: p.mul_bits,
      act_bits: p.act_bits,
      acc_bits: p.acc_bits,
      batch: p.batch,
    }),
  );
}
