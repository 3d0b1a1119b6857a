// Bit-exact golden model of LLaMA decode on the generated chip's numerics: the reference the RTL
// decode (issue 4) is compared against at every layer output. Integer-only (bigint), composed from
// the block golden models: a GEMV is the bank's dot product (gemvReference: exact products, sum
// wrapped to accumulator_bits) requantised by the die packer (requantise: round half up by the
// GEMV's shift, saturate to A bits); everything else is a controller ALU golden op.
//
// Formats (A = activation_bits, F = floor(A/2)): every activation is Q(A-1-F).F; softmax input is
// Q(A-1-inFrac).inFrac (inFrac = F, so the same); probabilities Q0.(A-1); gains Q1.(A-2). Shifts
// are in weights.shifts (rule in llama-weights.ts). One decode step at position pos, per layer:
//
//   xn   = rmsnorm(x, attnNorm)                                  ALU rmsnorm, out Q.F
//   q    = rq(Wq · xn, s.q)   k = rq(Wk · xn, s.k)   v = rq(Wv · xn, s.v)   bank GEMV + die requant
//   q'   = rope(q, pos)       k' = rope(k, pos)                  ALU rope (scale kept), all heads at once
//   K[pos] = kv(k'),  V[pos] = kv(v)                             append one row per token to the layer's cache
//            kv(): Q.F → kv_bits codes with kvFrac fractional bits (llama-weights.ts): identity when
//            kv_bits ≥ A, else round half up by F - kvFrac and saturate to kv_bits (4-bit KV: Q2.1);
//            a narrowing op the chip lacks today, see below
//   per query head h, KV head g = floor(h / group), d = head_dim, n = pos + 1:
//     sc   = rq(K_g[0..pos] · q'_h, s.score)                      GEMV: rows = n cached k rows of head g, cols = d;
//                                                                  q·k has F + kvFrac fractional bits; s.score takes it
//                                                                  to inFrac and divides by 2^floor(log2 sqrt d)
//     sc   = requant(sc, mult, shift)  only when sqrt(d) is not a power of two: the rest of 1/sqrt(d)
//     p    = softmax(sc)                                          ALU softmax, Q0.(A-1) (1.0 is 2^(A-1) - 1)
//     o_h  = rq(V_g^T · p, s.pv)                                  GEMV: rows = d columns of V (V stored transposed),
//                                                                  cols = n; s.pv = (A-1) + kvFrac - F
//   attn = concat_h o_h
//   o    = rq(Wo · attn, s.o);   h = add(x, o)                    ALU add (saturating)
//   hn   = rmsnorm(h, mlpNorm)
//   gate = rq(Wgate · hn, s.gate);  up = rq(Wup · hn, s.up)
//   act  = mul(silu(gate), up, shift F)                           ALU silu (Q.F → Q.F), ALU mul (2F → F)
//   down = rq(Wdown · act, s.down);  x' = add(h, down)
// Then xn = rmsnorm(x_L, finalNorm), logits = rq(Wlm · xn, s.lmHead) (A-bit codes, Q.F), and the
// next token = the lowest index of the largest logit.
//
// Choices, and what the chip must offer for them (none of these is an instruction yet; see the
// report of issue 4's golden work): the attention GEMVs read KV fields of kv_bits (the bank reads
// weight_bits fields); V is held transposed, so appending a token writes one element of each of d
// rows; K and V rows come from the controller (CMEM), not from the host; argmax needs an index,
// which the max ALU does not return (the host may read the logits); kv() narrowing when kv_bits < A.
import { goldenAdd, goldenMul, goldenRequant } from "./ctrl_elementwise.js";
import { roundShift, saturate } from "./ctrl_fixed.js";
import { goldenRmsnorm } from "./ctrl_rmsnorm.js";
import { goldenRope } from "./ctrl_rope.js";
import { goldenSilu } from "./ctrl_silu.js";
import { goldenSoftmax } from "./ctrl_softmax.js";
import { gemvReference } from "./bank.js";
import { requantise } from "./interconnect.js";
import type { LlamaWeights } from "./llama-weights.js";

/** One layer's KV cache: row t holds position t's k (after RoPE) and v, kvDim codes of kv_bits. */
export interface LayerCache {
  k: readonly (readonly bigint[])[];
  v: readonly (readonly bigint[])[];
}

/** The whole cache: one LayerCache per layer; its length is the next position. */
export type LlamaCache = readonly LayerCache[];

export interface HeadTrace {
  head: number;
  kvHead: number;
  /** Softmax inputs, one per position 0 … pos. */
  scores: bigint[];
  probs: bigint[];
  /** head_dim outputs, Q.F. */
  out: bigint[];
}

export interface LayerTrace {
  input: bigint[];
  attnNorm: bigint[];
  q: bigint[];
  k: bigint[];
  v: bigint[];
  qRope: bigint[];
  kRope: bigint[];
  /** The row appended to the K and V caches (kv_bits codes). */
  kCached: bigint[];
  vCached: bigint[];
  heads: HeadTrace[];
  attn: bigint[];
  o: bigint[];
  resid: bigint[];
  mlpNorm: bigint[];
  gate: bigint[];
  up: bigint[];
  silu: bigint[];
  act: bigint[];
  down: bigint[];
  output: bigint[];
}

export interface StepResult {
  pos: number;
  token: number;
  layers: LayerTrace[];
  finalNorm: bigint[];
  logits: bigint[];
  /** argmax of logits (lowest index on ties). */
  next: number;
  cache: LlamaCache;
}

export function emptyCache(w: LlamaWeights): LlamaCache {
  return w.layers.map(() => ({ k: [], v: [] }));
}

/** A GEMV as the chip does it: the bank's wrapped dot products, requantised by the die packer (signed A-bit codes). */
export function chipGemv(w: LlamaWeights, weights: readonly (readonly bigint[])[], x: readonly bigint[], shift: number): bigint[] {
  const bits = w.bus.elem_bits;
  return gemvReference(weights, x, w.numerics.accBits).map((d) => BigInt.asIntN(bits, requantise(w.bus, d.value, shift)));
}

/** A-bit Q.F code → KV code (kv_bits, kvFrac): identity when kv_bits ≥ A, else round half up by F - kvFrac and saturate. */
export function toKv(w: LlamaWeights, x: readonly bigint[]): bigint[] {
  if (w.numerics.kvBits >= w.numerics.actBits) return [...x];
  return x.map((v) => saturate(roundShift(v, w.numerics.frac - w.numerics.kvFrac), w.numerics.kvBits));
}

/** Index of the largest value, the lowest on ties. */
export function argmax(xs: readonly bigint[]): number {
  let best = 0;
  xs.forEach((v, i) => {
    if (v > xs[best]!) best = i;
  });
  return best;
}

/** Attention of every query head over the cache rows 0 … pos (the new row included). */
function attention(w: LlamaWeights, qRope: readonly bigint[], cache: LayerCache): { heads: HeadTrace[]; attn: bigint[] } {
  const { heads, headDim: d, group } = w.dims;
  const s = w.shifts;
  const out: HeadTrace[] = [];
  for (let h = 0; h < heads; h++) {
    const g = Math.floor(h / group);
    const qh = qRope.slice(h * d, (h + 1) * d);
    const kRows = cache.k.map((row) => row.slice(g * d, (g + 1) * d));
    let scores = chipGemv(w, kRows, qh, s.score);
    if (w.scoreRequant) scores = goldenRequant(w.ctrl, scores, w.scoreRequant.mult, w.scoreRequant.shift);
    const probs = goldenSoftmax(w.ctrl, scores);
    // V^T: row j holds element j of head g's v over positions 0 … pos.
    const vT = Array.from({ length: d }, (_, j) => cache.v.map((row) => row[g * d + j]!));
    out.push({ head: h, kvHead: g, scores, probs, out: chipGemv(w, vT, probs, s.pv) });
  }
  return { heads: out, attn: out.flatMap((t) => t.out) };
}

/** One decoder layer at position `pos` = cache.k.length; returns its trace and the grown cache. */
export function decoderLayer(w: LlamaWeights, l: number, x: readonly bigint[], cache: LayerCache): { trace: LayerTrace; cache: LayerCache } {
  const lw = w.layers[l]!;
  const s = w.shifts;
  const c = w.ctrl;
  const pos = cache.k.length;
  if (pos >= w.numerics.contextLen) throw new Error(`llama golden: position ${pos} is past the context (${w.numerics.contextLen})`);
  const attnNorm = goldenRmsnorm(c, x, lw.attnNorm);
  const q = chipGemv(w, lw.wq, attnNorm, s.q);
  const k = chipGemv(w, lw.wk, attnNorm, s.k);
  const v = chipGemv(w, lw.wv, attnNorm, s.v);
  const qRope = goldenRope(c, q, pos);
  const kRope = goldenRope(c, k, pos);
  const kCached = toKv(w, kRope);
  const vCached = toKv(w, v);
  const grown: LayerCache = { k: [...cache.k, kCached], v: [...cache.v, vCached] };
  const { heads, attn } = attention(w, qRope, grown);
  const o = chipGemv(w, lw.wo, attn, s.o);
  const resid = goldenAdd(c, x, o);
  const mlpNorm = goldenRmsnorm(c, resid, lw.mlpNorm);
  const gate = chipGemv(w, lw.wGate, mlpNorm, s.gate);
  const up = chipGemv(w, lw.wUp, mlpNorm, s.up);
  const silu = goldenSilu(c, gate);
  const act = goldenMul(c, silu, up, s.mlpMul);
  const down = chipGemv(w, lw.wDown, act, s.down);
  const output = goldenAdd(c, resid, down);
  return {
    trace: { input: [...x], attnNorm, q, k, v, qRope, kRope, kCached, vCached, heads, attn, o, resid, mlpNorm, gate, up, silu, act, down, output },
    cache: grown,
  };
}

/** One decode step: token at position cache length, through all layers, the final norm and the LM head. */
export function decodeStep(w: LlamaWeights, cache: LlamaCache, token: number): StepResult {
  if (!Number.isInteger(token) || token < 0 || token >= w.dims.vocab) throw new Error(`llama golden: token ${token} outside 0 … ${w.dims.vocab - 1}`);
  const pos = cache[0]?.k.length ?? 0;
  let x: bigint[] = [...w.embed[token]!];
  const layers: LayerTrace[] = [];
  const next: LayerCache[] = [];
  w.layers.forEach((_, l) => {
    const r = decoderLayer(w, l, x, cache[l]!);
    layers.push(r.trace);
    next.push(r.cache);
    x = r.trace.output;
  });
  const finalNorm = goldenRmsnorm(w.ctrl, x, w.finalNorm);
  const logits = chipGemv(w, w.lmHead, finalNorm, w.shifts.lmHead);
  return { pos, token, layers, finalNorm, logits, next: argmax(logits), cache: next };
}

export interface DecodeRun {
  /** The n generated tokens. */
  tokens: number[];
  /** Every step: the prompt's tokens, then each generated token but the last (which is not fed back). */
  steps: StepResult[];
}

/**
 * The prompt token by token (prefill as repeated decode), then n tokens greedily: the first from
 * the last prompt step, each next one from feeding the previous. prompt.length + max(n - 1, 0) steps (n = 0 runs the prompt only).
 */
export function decodeTokens(w: LlamaWeights, prompt: readonly number[], n: number): DecodeRun {
  if (prompt.length === 0) throw new Error("llama golden: empty prompt");
  if (prompt.length + n - 1 > w.numerics.contextLen) {
    throw new Error(`llama golden: prompt ${prompt.length} + ${n} tokens exceed the context (${w.numerics.contextLen})`);
  }
  let cache = emptyCache(w);
  const steps: StepResult[] = [];
  const tokens: number[] = [];
  const total = prompt.length + Math.max(0, n - 1);
  for (let i = 0; i < total; i++) {
    const step = decodeStep(w, cache, i < prompt.length ? prompt[i]! : tokens[i - prompt.length]!);
    steps.push(step);
    cache = step.cache;
    if (i >= prompt.length - 1 && tokens.length < n) tokens.push(step.next);
  }
  return { tokens, steps };
}
