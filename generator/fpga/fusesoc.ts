// The FuseSoC CAPI2 core (templates/fpga/core.hbs): at the root of rtl-out/<name>/, because FuseSoC
// takes no file from above a core's folder.
import { render } from "../rtl/render.js";
import type { Flow } from "./flow.js";

export function coreVlnv(f: Flow): string {
  return `pim-gen:pim:${f.name}:0.1.0`;
}

export function fusesocFiles(f: Flow): Map<string, string> {
  return new Map([[`${f.name}.core`, render("fpga/core.hbs", { f, vlnv: coreVlnv(f) })]]);
}
