// The Vivado non-project flow (templates/fpga/vivado.tcl.hbs) and its constraints (vivado.xdc.hbs).
import { render } from "../rtl/render.js";
import { portPins, type Flow } from "./flow.js";

export function vivadoFiles(f: Flow): Map<string, string> {
  return new Map([
    [`fpga/vivado/${f.name}.tcl`, render("fpga/vivado.tcl.hbs", { f })],
    [`fpga/vivado/${f.name}.xdc`, render("fpga/vivado.xdc.hbs", { f, pins: portPins(f.ports) })],
  ]);
}
