// The controller vector ALU's Verilator testbench (templates/tb/ctrl_valu_tb.cpp.hbs): reads a
// stimulus file of vector ops, drives <name>_ctrl_valu, prints output beats and cycle counts as
// JSON. See sim/tests/ctrl_sim.ts for the format.
import type { CtrlParams } from "../rtl/ctrl_params.js";
import { render } from "../rtl/render.js";
import type { TbFile } from "./bank_tb.js";

/** Cycles the testbench keeps watching y after the last beat, to catch spurious output. */
export const CTRL_TB_DRAIN = 8;

export function ctrlValuTestbench(p: CtrlParams): TbFile {
  const top = `${p.name}_ctrl_valu`;
  return { file: `tb/${top}_tb.cpp`, text: render("tb/ctrl_valu_tb.cpp.hbs", { name: p.name, top, drain: CTRL_TB_DRAIN }) };
}
