// The bank's Verilator testbench (templates/tb/bank_tb.cpp.hbs): reads a stimulus file, drives
// <name>_bank, prints results and cycle counts as JSON. See sim/tests/bank.ts for the format.
import type { BankParams } from "../rtl/params.js";
import { render } from "../rtl/render.js";

export interface TbFile {
  file: string;
  text: string;
}

export function bankTestbench(p: BankParams): TbFile {
  const top = `${p.name}_bank`;
  return {
    file: `tb/${top}_tb.cpp`,
    // After the last expected result, run long enough for any spurious result to surface.
    text: render("tb/bank_tb.cpp.hbs", {
      name: p.name,
      top,
      drain_cycles: 2 * p.gemv_latency + 8,
      // Every field of a BMEM word enabled, as hex.
      wmask_all: ((1n << BigInt(p.kv_per_word)) - 1n).toString(16),
    }),
  };
}
