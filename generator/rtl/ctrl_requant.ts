// Requantisation accumulator → activation (templates/rtl/ctrl_requant.v.hbs).
import type { CtrlParams } from "./ctrl_params.js";
import { rtlModule, type RtlModule } from "./module.js";
import { render } from "./render.js";

export function ctrlRequantModule(p: CtrlParams): RtlModule {
  return rtlModule(
    `${p.name}_ctrl_requant`,
    render("rtl/ctrl_requant.v.hbs", {
      name: p.name,
      lanes: p.lanes,
      acc: p.acc,
      a: p.a,
      multBits: p.requant.multBits,
      shBits: p.requant.shBits,
      lenBits: p.lenBits,
    }),
  );
}
