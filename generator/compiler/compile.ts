// The compiler's entry: a loaded spec and LLaMA weights → the chip layout, the one-time load
// program, and a decode-step program for any position and token.
import type { LlamaWeights } from "../../sim/golden/llama-weights.js";
import { UserError } from "../errors.js";
import { chipParams } from "../rtl/chip.js";
import type { LoadedSpec } from "../spec/load.js";
import { planLayout, type Layout } from "./layout.js";
import { prefillProgram, tileLayout, type TileLayout } from "./prefill-program.js";
import { loadProgram } from "./load-program.js";
import type { Program } from "./program.js";
import { stepProgram, type StepOptions } from "./step-program.js";

export interface CompiledDecode {
  layout: Layout;
  load: Program;
  /** The program of one decode step: token at position pos. */
  step: (pos: number, token: number, opts?: StepOptions) => Program;
  /** With CompileOptions.prefill: the tile's memory, and the program of one tile (tokens at first, first + 1, …). */
  tile: TileLayout | null;
  prefill: ((first: number, tokens: readonly number[], opts?: StepOptions) => Program) | null;
}

export interface CompileOptions {
  /** Also compile prefill in tiles of workload.prefill_batch tokens (GEMMs; the weight chunks are cut for them). */
  prefill?: boolean;
}

/** Throws when the weights are not the spec's model. */
function checkWeights(layout: Layout, w: LlamaWeights): void {
  const d = layout.dims;
  const wd = w.dims;
  const same = d.hidden === wd.hidden && d.intermediate === wd.intermediate && d.layers === wd.layers && d.heads === wd.heads && d.kvHeads === wd.kvHeads && d.vocab === wd.vocab;
  if (!same) throw new Error(`compiler: weights of ${JSON.stringify(wd)} for a spec of ${JSON.stringify(d)}`);
  if (w.numerics.actBits !== layout.p.act_bits || w.numerics.weightBits !== layout.p.bank.weight_bits || w.numerics.kvBits !== layout.p.bank.kv_bits) {
    throw new Error("compiler: the weights' numerics are not the spec's");
  }
}

export function compileDecode(loaded: LoadedSpec, weights: LlamaWeights, opts: CompileOptions = {}): CompiledDecode {
  const batch = opts.prefill ? loaded.derived.prefill_batch : 1;
  const layout = planLayout(loaded, chipParams(loaded), { batch });
  checkWeights(layout, weights);
  if (weights.scoreRequant && !layout.p.valu.ops.includes("requant")) {
    throw new UserError(
      `spec ${loaded.file}: chip.controller.vector_ops: this model's attention scores need the requant op to reach the softmax's input format; add requant to vector_ops (or leave vector_ops out: every op)`,
    );
  }
  const tile = opts.prefill ? tileLayout(layout, batch) : null;
  return {
    layout,
    load: loadProgram(layout, weights),
    step: (pos, token, o) => stepProgram(layout, weights, pos, token, o),
    tile,
    prefill: tile ? (first, tokens, o) => prefillProgram(layout, tile, weights, first, tokens, o) : null,
  };
}
