// The Verilator testbenches of a spec, for the output tree's tb/ folder (the harness builds the
// same text, so what a user gets is what the regression ran).
import type { LoadedSpec } from "../spec/load.js";
import { bankParams } from "../rtl/params.js";
import { interconnectParams } from "../rtl/interconnect.js";
import { chipParams } from "../rtl/chip.js";
import { bankTestbench, type TbFile } from "./bank_tb.js";
import { chipTestbench } from "./chip_tb.js";
import { ctrlValuTestbench } from "./ctrl_valu_tb.js";
import { ctrlParams } from "../rtl/ctrl_params.js";
import { interconnectTestbench } from "./interconnect_tb.js";
import { boardParams, boardSupported } from "../fpga/board.js";
import { boardTbTop, boardTestbench } from "./board_tb.js";

export function tbFiles(loaded: LoadedSpec): TbFile[] {
  return [
    bankTestbench(bankParams(loaded)),
    interconnectTestbench(interconnectParams(loaded)),
    ctrlValuTestbench(ctrlParams(loaded)),
    chipTestbench(chipParams(loaded)),
    ...boardTb(loaded),
  ];
}

/** The board top's testbench and its wrapper at the spec's clock and the board's baud. */
function boardTb(loaded: LoadedSpec): TbFile[] {
  if (!boardSupported(loaded)) return [];
  const b = boardParams(loaded);
  return [boardTbTop(b, b.clk_hz, b.baud), boardTestbench(b)];
}
