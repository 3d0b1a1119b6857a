// Serial restoring divider shared by softmax and RMSNorm (templates/rtl/ctrl_div.v.hbs).
import type { CtrlParams } from "./ctrl_params.js";
import { divStep } from "../model/cycles-controller.js";
import { rtlModule, type RtlModule } from "./module.js";
import { render } from "./render.js";

/** The parameters given here are only the module's defaults (softmax's); each instance sets its own. */
export function ctrlDivModule(p: CtrlParams): RtlModule {
  return rtlModule(
    `${p.name}_ctrl_div`,
    render("rtl/ctrl_div.v.hbs", { name: p.name, qBits: p.softmax.qBits, dBits: p.softmax.sumBits, step: divStep(p.softmax.qBits, p.divBits) }),
  );
}
