// Element-wise add / multiply (templates/rtl/ctrl_ew.v.hbs).
import type { CtrlParams } from "./ctrl_params.js";
import { rtlModule, type RtlModule } from "./module.js";
import { render } from "./render.js";

export function ctrlEwModule(p: CtrlParams): RtlModule {
  return rtlModule(
    `${p.name}_ctrl_ew`,
    render("rtl/ctrl_ew.v.hbs", { name: p.name, lanes: p.lanes, a: p.a, shBits: p.ew.shBits, lenBits: p.lenBits }),
  );
}
