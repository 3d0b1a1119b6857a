// The data the load program sends: each bank's BMEM image of weight rows (as the layout places
// them), and the gains.
import type { LlamaWeights } from "../../sim/golden/llama-weights.js";
import type { GemvName, GemvPlan, Layout } from "./layout.js";
import { packToWords } from "./words.js";

/** The natural weight matrix (rows × cols) of a GEMV. */
export function gemvMatrix(w: LlamaWeights, plan: GemvPlan): readonly (readonly bigint[])[] {
  if (plan.name === "lm_head" || plan.layer === null) return w.lmHead;
  const lw = w.layers[plan.layer]!;
  const byName: Record<Exclude<GemvName, "lm_head">, bigint[][]> = {
    q: lw.wq,
    k: lw.wk,
    v: lw.wv,
    o: lw.wo,
    gate: lw.wGate,
    up: lw.wUp,
    down: lw.wDown,
  };
  return byName[plan.name];
}

/** The requantisation shift of a GEMV (weights.shifts). */
export function gemvShift(w: LlamaWeights, name: GemvName): number {
  return name === "lm_head" ? w.shifts.lmHead : w.shifts[name];
}

/** One bank's rows of a GEMV as BMEM words (R rows of wpr words; zero rows and zero columns where the layout says -1). */
export function gemvBankImage(layout: Layout, w: LlamaWeights, plan: GemvPlan, bank: number): bigint[] {
  const b = layout.p.bank;
  const M = gemvMatrix(w, plan);
  const words: bigint[] = [];
  if (b.weights_per_word * b.weight_bits !== b.read_bits) throw new Error("compiler: a BMEM word is not a whole number of weights");
  for (const nat of plan.rowMap[bank]!) {
    if (nat < 0) {
      for (let k = 0; k < plan.wpr; k++) words.push(0n);
      continue;
    }
    // The row's wpr words at once (packToWords zero-pads the last one).
    const row = plan.colMap.map((c) => (c >= 0 ? M[nat]![c]! : 0n));
    for (const word of packToWords(row, b.weight_bits, b.read_bits)) words.push(word);
  }
  return words;
}

/** A bank's BMEM from word 0 to the end of the weights: every GEMV's rows at its base, zeros between. */
export function bankWeightImage(layout: Layout, w: LlamaWeights, bank: number): bigint[] {
  const image: bigint[] = Array.from({ length: layout.weightWords }, () => 0n);
  for (const plan of [...layout.layers.flatMap((l) => Object.values(l)), layout.lmHead]) {
    gemvBankImage(layout, w, plan, bank).forEach((word, i) => {
      image[plan.wBase + i] = word;
    });
  }
  return image;
}
