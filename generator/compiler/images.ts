// The data the load program sends: each bank's BMEM image of weight rows (as the layout places
// them), and the gains.
import type { LlamaWeights } from "../../sim/golden/llama-weights.js";
import type { GemvPlan, Layout, MatrixName } from "./layout.js";
import { packToWords } from "./words.js";

/** A weight matrix (rows × cols) of layer `layer` (null: the LM head). */
export function weightMatrix(w: LlamaWeights, layer: number | null, matrix: MatrixName): readonly (readonly bigint[])[] {
  if (matrix === "lm_head" || layer === null) return w.lmHead;
  const lw = w.layers[layer]!;
  const byName: Record<Exclude<MatrixName, "lm_head">, bigint[][]> = {
    q: lw.wq,
    k: lw.wk,
    v: lw.wv,
    o: lw.wo,
    gate: lw.wGate,
    up: lw.wUp,
    down: lw.wDown,
  };
  return byName[matrix];
}

/** Row `nat` of a GEMV's output as a weight row (null: a zero row, between parts or past them). */
export function gemvRow(w: LlamaWeights, plan: GemvPlan, nat: number): readonly bigint[] | null {
  const part = plan.parts.find((x) => nat >= x.first && nat < x.first + x.rows);
  if (!part) return null;
  const i = nat - part.first;
  return weightMatrix(w, plan.layer, part.matrix)[part.order ? part.order[i]! : i]!;
}

/** The requantisation shift of a GEMV (weights.shifts): its parts' one shift. */
export function gemvShift(w: LlamaWeights, plan: GemvPlan): number {
  const shifts = plan.parts.map((x) => (x.matrix === "lm_head" ? w.shifts.lmHead : w.shifts[x.matrix]));
  if (shifts.some((s) => s !== shifts[0])) throw new Error(`compiler: the ${plan.name} GEMV's matrices have different shifts (${shifts.join(", ")}): they cannot run as one GEMV`);
  return shifts[0]!;
}

/** One bank's rows of a GEMV as BMEM words (R rows of wpr words; zero rows and zero columns where the layout says -1). */
export function gemvBankImage(layout: Layout, w: LlamaWeights, plan: GemvPlan, bank: number): bigint[] {
  const b = layout.p.bank;
  const words: bigint[] = [];
  if (b.weights_per_word * b.weight_bits !== b.read_bits) throw new Error("compiler: a BMEM word is not a whole number of weights");
  for (const nat of plan.rowMap[bank]!) {
    const source = nat < 0 ? null : gemvRow(w, plan, nat);
    if (source === null) {
      for (let k = 0; k < plan.wpr; k++) words.push(0n);
      continue;
    }
    // The row's wpr words at once (packToWords zero-pads the last one).
    const row = plan.colMap.map((c) => (c >= 0 ? source[c]! : 0n));
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
