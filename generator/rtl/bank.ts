// The bank: BMEM + BRAM (dual-port RAMs), MAC array and GEMV sequencer (templates/rtl/bank.v.hbs).
import type { BankParams } from "./params.js";
import { render } from "./render.js";
import { rtlModule, type RtlModule } from "./module.js";

export function bankModule(p: BankParams): RtlModule {
  return rtlModule(
    `${p.name}_bank`,
    render("rtl/bank.v.hbs", {
      name: p.name,
      weight_bits: p.weight_bits,
      kv_bits: p.kv_bits,
      act_bits: p.act_bits,
      acc_bits: p.acc_bits,
      read_bits: p.read_bits,
      lanes: p.lanes,
      spec_lanes: p.spec_lanes,
      weights_per_word: p.weights_per_word,
      bmem_depth: p.bmem_depth,
      bram_slices: p.bram_slices,
      bram_depth: p.bram_depth,
      batch: p.batch,
    }),
    [`${p.name}_dpram`, `${p.name}_dpram_be`, `${p.name}_mac_array`],
  );
}
