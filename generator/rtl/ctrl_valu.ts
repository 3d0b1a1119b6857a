// The controller's vector ALU (templates/rtl/ctrl_valu.v.hbs): every op behind one set of streams.
import { ctrlEwModule } from "./ctrl_ew.js";
import type { CtrlParams } from "./ctrl_params.js";
import { ctrlReduceModule } from "./ctrl_reduce.js";
import { ctrlRequantModule } from "./ctrl_requant.js";
import { ctrlRmsnormModule } from "./ctrl_rmsnorm.js";
import { ctrlRopeModule } from "./ctrl_rope.js";
import { ctrlSiluModule } from "./ctrl_silu.js";
import { ctrlSoftmaxModule } from "./ctrl_softmax.js";
import type { CtrlOp } from "../model/cycles-controller.js";
import { rtlModule, type RtlModule } from "./module.js";
import { render } from "./render.js";

/** Op codes of the `op` port. */
export const CTRL_OPCODES = {
  add: 0,
  mul: 1,
  sum: 2,
  max: 3,
  softmax: 4,
  rmsnorm: 5,
  silu: 6,
  rope: 7,
  requant: 8,
} as const;

/** The valu's units: which the RTL builds (the units of chip.controller.vector_ops). */
export interface ValuUnits {
  ew: boolean;
  reduce: boolean;
  softmax: boolean;
  rmsnorm: boolean;
  silu: boolean;
  rope: boolean;
  requant: boolean;
}

export function valuUnits(p: CtrlParams): ValuUnits {
  const has = (op: CtrlParams["ops"][number]): boolean => p.ops.includes(op);
  return {
    ew: has("add") || has("mul"),
    reduce: has("sum") || has("max"),
    softmax: has("softmax"),
    rmsnorm: has("rmsnorm"),
    silu: has("silu"),
    rope: has("rope"),
    requant: has("requant"),
  };
}

/** The op of a vop's `alu` field when the chip builds it (`ops`: chip.controller.vector_ops); else undefined (a nop). */
export function builtAluOp(ops: readonly CtrlOp[], alu: number): CtrlOp | undefined {
  return ops.find((op) => CTRL_OPCODES[op] === alu);
}

/** The unit modules the valu instantiates: those of the ops built, in opcode order. */
export function valuUnitModules(p: CtrlParams): RtlModule[] {
  const has = valuUnits(p);
  const units = [
    [has.ew, ctrlEwModule],
    [has.reduce, ctrlReduceModule],
    [has.softmax, ctrlSoftmaxModule],
    [has.rmsnorm, ctrlRmsnormModule],
    [has.silu, ctrlSiluModule],
    [has.rope, ctrlRopeModule],
    [has.requant, ctrlRequantModule],
  ] as const;
  return units.filter(([on]) => on).map(([, u]) => u(p));
}

/** Bits per lane of the valu's a and y streams. */
export function valuWidths(p: CtrlParams): { iw: number; ow: number } {
  return { iw: Math.max(p.a, p.acc), ow: Math.max(p.a, p.reduce.sumBits) };
}

export function ctrlValuModule(p: CtrlParams): RtlModule {
  const has = valuUnits(p);
  return rtlModule(
    `${p.name}_ctrl_valu`,
    render("rtl/ctrl_valu.v.hbs", {
      name: p.name,
      lanes: p.lanes,
      has,
      ops: p.ops.join(", "),
      all: p.ops.length === Object.keys(CTRL_OPCODES).length,
      a: p.a,
      acc: p.acc,
      sumBits: p.reduce.sumBits,
      lenBits: p.lenBits,
      shBits: Math.max(p.requant.shBits, p.ew.shBits),
      ewShBits: p.ew.shBits,
      multBits: p.requant.multBits,
      posBits: p.rope.posBits,
      smDepth: p.softmax.depth,
      smMaxLen: p.softmax.maxLen,
      rmsDepth: p.rmsnorm.depth,
      rmsMaxLen: p.rmsnorm.maxLen,
      ...valuWidths(p),
      smInInt: p.a - 1 - p.softmax.inFrac,
      smInFrac: p.softmax.inFrac,
      smOutFrac: p.softmax.outFrac,
      gFrac: p.rmsnorm.gFrac,
      rmsOutInt: p.a - 1 - p.rmsnorm.outFrac,
      rmsOutFrac: p.rmsnorm.outFrac,
      siluInt: p.a - 1 - p.silu.frac,
      siluFrac: p.silu.frac,
    }),
    valuUnitModules(p).map((u) => u.module),
  );
}
