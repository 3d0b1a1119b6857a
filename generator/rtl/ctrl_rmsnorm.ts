// RMSNorm (templates/rtl/ctrl_rmsnorm.v.hbs): two passes over an internal buffer, the mean by the
// serial divider, 1/sqrt by an even-exponent normalisation and a mantissa table.
import { ctrlDivModule } from "./ctrl_div.js";
import type { CtrlParams } from "./ctrl_params.js";
import { caseItems } from "./ctrl_tables.js";
import { divCycles, divStep } from "../model/cycles-controller.js";
import { rtlModule, type RtlModule } from "./module.js";
import { render } from "./render.js";

export function ctrlRmsnormModule(p: CtrlParams): RtlModule {
  const r = p.rmsnorm;
  return rtlModule(
    `${p.name}_ctrl_rmsnorm`,
    render("rtl/ctrl_rmsnorm.v.hbs", {
      name: p.name,
      lanes: p.lanes,
      lenBits: p.lenBits,
      depth: r.depth,
      a: p.a,
      gFrac: r.gFrac,
      outInt: p.a - 1 - r.outFrac,
      outFrac: r.outFrac,
      ssBits: r.ssBits,
      meanFrac: r.meanFrac,
      qBits: r.qBits,
      divStep: divStep(r.qBits, p.divBits),
      divCycles: divCycles(r.qBits, p.divBits),
      mBits: r.mBits,
      rtBits: r.rtBits,
      rbBits: r.rbBits,
      shift0: r.shift0,
      sBits: r.sBits,
      sMax: r.sMax,
      rsq: caseItems(r.rsq, r.rtBits + 2, r.rbBits),
    }),
    [ctrlDivModule(p).module],
  );
}

export function ctrlRmsnormWithDeps(p: CtrlParams): RtlModule[] {
  return [ctrlDivModule(p), ctrlRmsnormModule(p)];
}
