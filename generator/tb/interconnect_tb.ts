// The die broadcast bus's Verilator testbench (templates/tb/interconnect_tb.cpp.hbs): reads a
// stimulus file, drives <name>_interconnect, prints what the banks and the controller received
// and the cycles each side took, as JSON. See sim/tests/interconnect.ts for the format.
import type { InterconnectParams } from "../rtl/interconnect.js";
import { render } from "../rtl/render.js";
import type { TbFile } from "./bank_tb.js";

export function interconnectTestbench(p: InterconnectParams): TbFile {
  const top = `${p.name}_interconnect`;
  return {
    file: `tb/${top}_tb.cpp`,
    text: render("tb/interconnect_tb.cpp.hbs", {
      name: p.name,
      top,
      dies: p.dies,
      banks: p.dies * p.banks_per_die,
      link_bits: p.link_bits,
      bcast_bits: p.bcast_bits,
      tgt_w: p.tgt_w,
      addr_w: p.addr_w,
      slot_w: p.slot_w,
      banks_per_die: p.banks_per_die,
      bram_w: p.bram_w,
      bram_aw: p.bram_aw,
      read_bits: p.read_bits,
      bmem_aw: p.bmem_aw,
      acc_bits: p.acc_bits,
      // Enough for the longest broadcast and gather a test runs, λ included, with margin.
      limit: 1_000_000 + 100 * p.latency,
    }),
  };
}
