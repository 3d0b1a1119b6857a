// Emitting instructions: a vop with its unused fields at 0, the tagged emitter of one layer, and
// the broadcast of an input vector into every bank's BRAM. Shared by the decode step
// (step-program.ts), the weight GEMVs (weight-gemv.ts), attention (attention-program.ts) and
// prefill (prefill-program.ts).
import { CTRL_OPCODES } from "../rtl/ctrl_valu.js";
import type { Instruction } from "../rtl/chip.js";
import type { Layout } from "./layout.js";
import type { InstrTag, Part, ProgramBuilder, Stream } from "./program.js";
import { vecWords } from "./sizes.js";

type AluName = keyof typeof CTRL_OPCODES;

/** A vop with the fields it does not use at 0. */
export function vop(alu: AluName, len: number, a: number, y: number, extra: { b?: number; shift?: number; mult?: bigint; pos?: number } = {}): Instruction {
  return { op: "vop", alu: CTRL_OPCODES[alu], len, a, b: extra.b ?? 0, y, shift: extra.shift ?? 0, mult: extra.mult ?? 0n, pos: extra.pos ?? 0 };
}

/** Emits one instruction with its tag (the layer is the emitter's). */
export type Emit = (part: Part, stream: Stream, what: string, instr: Instruction) => void;

export function emitter(out: ProgramBuilder, layer: number | null): Emit {
  return (part, stream, what, instr) => out.emit(instr, { part, stream, layer, what } satisfies InstrTag);
}

/** The input vector (elems activations at CMEM[src]) into every bank's BRAM: at the GEMVs' input, or at `bram`. */
export function bcastInput(layout: Layout, e: Emit, src: number, elems: number, what: string, bram = layout.bram.x): void {
  e("controller_bank", "weights", `bcast ${what}`, { op: "bcast", addr: src, n: vecWords(layout.p, elems), bram, bank: 0 });
}
