// The comparison of one step with the golden LLaMA: every layer's output and the logits element
// by element, and the chip's token (the argmax of its logits, lowest index on ties, as the host
// takes it) against the golden model's next token.
import { hostArgmax, type Program } from "../../generator/compiler/index.js";
import type { StepResult } from "../golden/llama.js";

export interface Mismatch {
  step: number;
  pos: number;
  what: "layer_output" | "logits" | "token";
  /** The layer (layer_output), else null. */
  layer: number | null;
  /** Element index (layer_output, logits), else null. */
  element: number | null;
  /** The chip's value; null when it sent nothing for it. */
  rtl: number | null;
  golden: number;
}

export interface StepCompare {
  /** The chip's token: argmax of the logits it returned (null when it returned none). */
  token: number | null;
  layers_match: boolean[];
  logits_match: boolean;
  token_match: boolean;
  mismatches: Mismatch[];
}

/** Element-wise differences of a vector (missing elements count). */
function vectorMismatches(got: readonly bigint[] | undefined, want: readonly bigint[], at: Omit<Mismatch, "element" | "rtl" | "golden">): Mismatch[] {
  const out: Mismatch[] = [];
  want.forEach((g, e) => {
    const r = got?.[e];
    if (r !== g) out.push({ ...at, element: e, rtl: r === undefined ? null : Number(r), golden: Number(g) });
  });
  if (got && got.length > want.length) out.push({ ...at, element: want.length, rtl: Number(got[want.length]!), golden: Number.NaN });
  return out;
}

/** Step `step` of the run: the program's reads (in Program.reads order) against the golden step. */
export function compareStep(step: number, prog: Program, reads: readonly (readonly bigint[])[], golden: StepResult): StepCompare {
  const pos = golden.pos;
  const mismatches: Mismatch[] = [];
  const layers_match = golden.layers.map((layer, l) => {
    const k = prog.reads.findIndex((r) => r.what === "layer_output" && r.layer === l);
    const ms = vectorMismatches(k < 0 ? undefined : reads[k], layer.output, { step, pos, what: "layer_output", layer: l });
    mismatches.push(...ms);
    return ms.length === 0;
  });
  const k = prog.reads.findIndex((r) => r.what === "logits");
  const logits = k < 0 ? undefined : reads[k];
  const lm = vectorMismatches(logits, golden.logits, { step, pos, what: "logits", layer: null });
  mismatches.push(...lm);
  const token = logits && logits.length === golden.logits.length ? hostArgmax(logits) : null;
  const token_match = token === golden.next;
  if (!token_match) mismatches.push({ step, pos, what: "token", layer: null, element: null, rtl: token, golden: golden.next });
  return { token, layers_match, logits_match: lm.length === 0, token_match, mismatches };
}

/** One line naming a mismatch: step, position, layer, element, both values. */
export function describeMismatch(m: Mismatch): string {
  const where = `step ${m.step} (position ${m.pos})`;
  const rtl = m.rtl === null ? "nothing" : String(m.rtl);
  if (m.what === "token") return `${where}: the chip's token ${rtl}, the golden model's ${m.golden}`;
  const vec = m.what === "logits" ? "logits" : `layer ${m.layer} output`;
  return `${where}: ${vec} element ${m.element}: chip ${rtl}, golden ${Number.isNaN(m.golden) ? "nothing (extra element)" : m.golden}`;
}
