// Softmax (templates/rtl/ctrl_softmax.v.hbs): three passes over an internal buffer, exp by a
// 2^-r table, reciprocal of the sum by the serial divider.
import { bitLength } from "../model/cycles-controller.js";
import { ctrlDivModule } from "./ctrl_div.js";
import { LOG2E_FRAC, type CtrlParams } from "./ctrl_params.js";
import { caseItems } from "./ctrl_tables.js";
import { divCycles, divStep } from "../model/cycles-controller.js";
import { rtlModule, type RtlModule } from "./module.js";
import { render } from "./render.js";

export function ctrlSoftmaxModule(p: CtrlParams): RtlModule {
  const s = p.softmax;
  return rtlModule(
    `${p.name}_ctrl_softmax`,
    render("rtl/ctrl_softmax.v.hbs", {
      name: p.name,
      lanes: p.lanes,
      lenBits: p.lenBits,
      depth: s.depth,
      a: p.a,
      inInt: p.a - 1 - s.inFrac,
      inFrac: s.inFrac,
      outFrac: s.outFrac,
      tBits: s.tBits,
      eBits: s.eBits,
      log2e: s.log2e,
      log2eFrac: LOG2E_FRAC,
      log2eBits: bitLength(s.log2e),
      tShift: s.tShift,
      trBits: s.trBits,
      sumBits: s.sumBits,
      qBits: s.qBits,
      divStep: divStep(s.qBits, p.divBits),
      divCycles: divCycles(s.qBits, p.divBits),
      z: s.z,
      outShift: s.outShift,
      kClip: s.eBits < 2 ** (s.trBits - s.tBits) - 1,
      pow2: caseItems(s.pow2, s.tBits, s.eBits + 1),
    }),
    [ctrlDivModule(p).module],
  );
}

/** For linting the softmax on its own: the divider and the softmax. */
export function ctrlSoftmaxWithDeps(p: CtrlParams): RtlModule[] {
  return [ctrlDivModule(p), ctrlSoftmaxModule(p)];
}
