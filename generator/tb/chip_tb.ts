// The chip's Verilator testbench (templates/tb/chip_tb.cpp.hbs): offers a program's instructions
// and data on the host interface, prints accept edges and m_data words as JSON. See
// sim/tests/chip.ts for the format.
import type { ChipParams } from "../rtl/chip.js";
import { render } from "../rtl/render.js";
import type { TbFile } from "./bank_tb.js";

export function chipTestbench(p: ChipParams): TbFile {
  const top = `${p.name}_chip`;
  return {
    file: `tb/${top}_tb.cpp`,
    text: render("tb/chip_tb.cpp.hbs", { name: p.name, top, cmd_bits: p.cmd_bits, host_bits: p.host_bits }),
  };
}
