// SiLU (templates/rtl/ctrl_silu.v.hbs): a direct table of every input code when it is small,
// else linear interpolation between table knots.
import type { CtrlParams } from "./ctrl_params.js";
import { caseItems } from "./ctrl_tables.js";
import { rtlModule, type RtlModule } from "./module.js";
import { render } from "./render.js";

export function ctrlSiluModule(p: CtrlParams): RtlModule {
  const s = p.silu;
  const interp = s.loBits > 0;
  return rtlModule(
    `${p.name}_ctrl_silu`,
    render("rtl/ctrl_silu.v.hbs", {
      name: p.name,
      lanes: p.lanes,
      lenBits: p.lenBits,
      a: p.a,
      int: p.a - 1 - s.frac,
      frac: s.frac,
      tiBits: s.tiBits,
      loBits: s.loBits,
      xBits: s.xBits,
      tabBits: s.tabBits,
      interp,
      tab: caseItems(s.tab, interp ? s.tiBits + 1 : s.tiBits, s.tabBits),
    }),
  );
}
