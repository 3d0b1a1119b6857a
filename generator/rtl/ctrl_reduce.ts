// Reductions: sum and max (templates/rtl/ctrl_reduce.v.hbs).
import type { CtrlParams } from "./ctrl_params.js";
import { rtlModule, type RtlModule } from "./module.js";
import { render } from "./render.js";

export function ctrlReduceModule(p: CtrlParams): RtlModule {
  return rtlModule(
    `${p.name}_ctrl_reduce`,
    render("rtl/ctrl_reduce.v.hbs", { name: p.name, lanes: p.lanes, a: p.a, sumBits: p.reduce.sumBits, lenBits: p.lenBits }),
  );
}
