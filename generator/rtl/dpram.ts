// The dual-port RAM: one write port, one registered read port (templates/rtl/dpram.v.hbs).
import { render } from "./render.js";
import { rtlModule, type RtlModule } from "./module.js";

/** `width` and `depth` are only the module's default parameters; every instance sets its own. */
export function dpramModule(name: string, width: number, depth: number): RtlModule {
  return rtlModule(`${name}_dpram`, render("rtl/dpram.v.hbs", { name, width, depth }));
}

/** The dual-port RAM with a field write mask (templates/rtl/dpram_be.v.hbs): a bank's BMEM. */
export function dpramBeModule(name: string, width: number, field: number, depth: number): RtlModule {
  return rtlModule(`${name}_dpram_be`, render("rtl/dpram_be.v.hbs", { name, width, field, depth }));
}
