// RoPE (templates/rtl/ctrl_rope.v.hbs): per-pair frequency table, phase = pos × freq mod one turn,
// cos/sin from one full-turn cosine table with linear interpolation between its entries.
import { ROPE_PHASE_BITS, type CtrlParams } from "./ctrl_params.js";
import { caseItems } from "./ctrl_tables.js";
import { rtlModule, type RtlModule } from "./module.js";
import { render } from "./render.js";

export function ctrlRopeModule(p: CtrlParams): RtlModule {
  const r = p.rope;
  return rtlModule(
    `${p.name}_ctrl_rope`,
    render("rtl/ctrl_rope.v.hbs", {
      name: p.name,
      lanes: p.lanes,
      lenBits: p.lenBits,
      a: p.a,
      headDim: r.headDim,
      pairs: r.pairs,
      step: r.lanePairs % r.pairs,
      pBits: r.pBits,
      posBits: r.posBits,
      maxPos: 2 ** r.posBits - 1,
      ctBits: r.ctBits,
      ctQuarter: r.ctBits - 2,
      csBits: r.csBits,
      csFrac: r.csBits - 2,
      fBits: r.fBits,
      fTop: ROPE_PHASE_BITS - 1 - r.ctBits,
      freq: caseItems(r.freq, r.pBits + 1, 32),
      cos: caseItems(r.cos, r.ctBits, r.csBits),
    }),
  );
}
