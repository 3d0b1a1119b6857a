// The Quartus project settings (templates/fpga/quartus.qsf.hbs) and constraints (quartus.sdc.hbs).
import { render } from "../rtl/render.js";
import { portPins, type Flow } from "./flow.js";

export function quartusFiles(f: Flow): Map<string, string> {
  return new Map([
    [`fpga/quartus/${f.name}.qsf`, render("fpga/quartus.qsf.hbs", { f, pins: portPins(f.ports) })],
    [`fpga/quartus/${f.name}.sdc`, render("fpga/quartus.sdc.hbs", { f })],
  ]);
}
