// Prefill with the seed's batch tiling (001, 3.2.2): a tile of b prompt tokens (positions first …
// first + b - 1) goes through every layer together; each weight GEMV runs as one GEMM of the b
// tokens' vectors (gemv batch = b, the vectors a_stride apart in every bank's BRAM), so each weight
// word is read from BMEM once for the tile. The per-token work (norms, RoPE, the KV appends,
// attention at each token's own position, residuals, SiLU × up) is the decode step's, token by
// token, with the same shifts and in the same order for each token, so every token's layer
// outputs and logits equal the golden LLaMA's decode of that position bit for bit.
//
//   host     wr_cmem x_t = embed[token_t]                                   (each t)
//   layer l  rmsnorm(x_t) → bcast → BRAM slot t                              (each t)
//            GEMM k and v (one) → gather k_t, v_t;
//            GEMM q ‖ rope k_t (pos_t), append k_t, v_t at pos_t → gather q_t (gathers: each t, in order)
//            rope q_t → attention at pos_t → bcast → BRAM slot t             (each t)
//            GEMM o → gather o_t; x_t = o_t + x_t; rmsnorm(x_t) → bcast → BRAM slot t
//            GEMM gate and up (one) → gate_t, up_t; silu(gate_t); silu_t × up_t → bcast → BRAM slot t
//            GEMM down → down_t; x_t = down_t + x_t                          (the layer's output)
//   final    rmsnorm(x_t) → bcast → BRAM slot t; GEMM LM head → logits_t; rd_cmem logits_t (each t)
// Attention of token t reads positions 0 … pos_t of the cache; the tile's later tokens are already
// appended (the GEMM gave all their k and v at once) but lie past pos_t, outside its window: causal.
//
// Memory (tileLayout): BRAM slot t at base + t × stride after the decode's BRAM regions; in CMEM,
// per token its x (layer input, then the residual, then the layer output) and one slab whose words
// hold, one phase after another, k / v / k after RoPE / q, then o, then gate (SiLU in place) / up,
// then down, then the logits; the norm output, RoPE'd q, scores, probabilities, attention output and SiLU × up
// are shared by the tokens (each consumed by a bcast before the next token's; SiLU × up over the
// attention's words). The tile's CMEM is
// laid out afresh: a decode step rewrites every CMEM word it reads except the gains, which keep
// their decode addresses.
import { UserError } from "../errors.js";
import type { LlamaWeights } from "../../sim/golden/llama-weights.js";
import { partWord, type Layout } from "./layout.js";
import { programBuilder, type Program } from "./program.js";
import { allocator, vecWords } from "./sizes.js";
import { attention } from "./attention-program.js";
import { bcastInput, emitter, vop } from "./emit.js";
import { kvAppend, residualAdd, rmsnorm, type StepOptions } from "./step-program.js";
import { weightGemv } from "./weight-gemv.js";
import { packToWords } from "./words.js";

/** A slab's phases: word offsets of the vectors that live in it one after another. */
interface Slab {
  k: number;
  v: number;
  kRope: number;
  q: number;
  o: number;
  gate: number;
  up: number;
  silu: number;
  down: number;
  logits: number;
  words: number;
}

export interface TileLayout {
  /** Tokens a tile holds at most (workload.prefill_batch). */
  batch: number;
  /** BRAM slot t (every bank) at base + t × stride: the GEMMs' input vectors. */
  bram: { base: number; stride: number };
  cmem: {
    xn: number;
    qRope: number;
    scores: number[];
    probs: number[];
    attn: number;
    act: number;
    /** Per token: x (layer input, residual, layer output). */
    x: number[];
    /** Per token: its slab's first word (offsets in `slab`). */
    slab: number[];
    used: number;
  };
  slab: Slab;
}

/** The tile's memory for `batch` tokens on the decode layout; a UserError when it does not fit. */
export function tileLayout(layout: Layout, batch: number): TileLayout {
  const { p, dims, cmem: dm, attention: at } = layout;
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`compiler: a prefill tile of ${batch} tokens`);
  if (batch > layout.batch) throw new Error(`compiler: a prefill tile of ${batch} tokens on a layout for GEMMs of ${layout.batch}`);
  const L = layout.layers[0]!;
  const H = dims.hidden;
  const F = dims.intermediate;
  const stride = layout.bram.xWords;
  const bram = { base: layout.bram.used, stride };
  const bramNeed = bram.base + batch * stride;
  if (bramNeed > p.bank.bram_depth) {
    throw new UserError(
      `workload.prefill_batch (${batch}): a prefill tile needs ${bramNeed} BRAM words a bank (the decode's ${layout.bram.used} and ${batch} vectors of ${stride}), the bank holds ${p.bank.bram_depth} (chip.bank.bram_bytes); lower prefill_batch or raise bram_bytes`,
    );
  }
  // The slab's phases, each from word 0.
  const kw = vecWords(p, dims.kvDim);
  const slab: Slab = {
    k: 0,
    v: L.k.outWords,
    kRope: L.k.outWords + L.v.outWords,
    q: L.k.outWords + L.v.outWords + kw,
    o: 0,
    gate: 0,
    up: partWord(p, L.gate_up, "up"),
    // SiLU in place over gate: an element-wise op writes word k after it has read word k.
    silu: 0,
    down: 0,
    logits: 0,
    words: 0,
  };
  slab.words = Math.max(slab.q + L.q.outWords, L.o.outWords, L.gate_up.outWords, L.down.outWords, layout.lmHead.outWords);
  // The gains, when they live in CMEM, keep their decode addresses (allocated first there): the
  // tile's regions start above them.
  const gains = dm.gains ? { from: dm.gains.attn[0]!, to: dm.gains.final + vecWords(p, H) } : null;
  if (gains && gains.from !== 0) throw new Error("compiler: the gains are not at the start of CMEM");
  const c = allocator(gains ? gains.to : 0);
  const hw = vecWords(p, H);
  const perHead = (words: number): number[] => Array.from({ length: dims.kvHeads }, () => c.take(words));
  // Scores and probabilities per KV head: the decode's sizes.
  const xn = c.take(hw);
  const qRope = c.take(hw);
  // In die order, as the decode's (layout.ts): a die's heads' score regions back to back.
  const scoreBase = c.take(dm.scoreWords * dims.kvHeads);
  const scores = at.scoreRank.map((r) => scoreBase + r * dm.scoreWords);
  const probs = perHead(dm.probWords);
  const attn = c.take(at.attnCols / p.host_elems);
  // SiLU × up (the MLP's) overlays the attention's regions, from qRope on: their lives do not meet.
  const act = qRope;
  const actWords = vecWords(p, F);
  if (c.used() < act + actWords) c.take(act + actWords - c.used());
  const sharedWords = c.used();
  const x = Array.from({ length: batch }, () => c.take(hw));
  const slabs = Array.from({ length: batch }, () => c.take(slab.words));
  const cmem = { xn, qRope, scores, probs, attn, act, x, slab: slabs, used: c.used() };
  if (cmem.used > p.cmem_depth) {
    throw new UserError(
      `workload.prefill_batch (${batch}): a prefill tile needs ${cmem.used} CMEM words (${batch} tokens × ${hw + slab.words} above ${sharedWords} for the gains and the shared vectors), CMEM holds ${p.cmem_depth} (chip.controller.cmem_bytes); lower prefill_batch or raise cmem_bytes`,
    );
  }
  return { batch, bram, cmem, slab };
}

/**
 * The prefill program of one tile: tokens[t] at position first + t (the load program must have
 * run, and every position before `first`). Reads back every token's logits, and with readLayers
 * every layer's output of every token (ReadBack.pos says whose).
 */
export function prefillProgram(layout: Layout, tile: TileLayout, w: LlamaWeights, first: number, tokens: readonly number[], opts: StepOptions = {}): Program {
  const { p, dims } = layout;
  const b = tokens.length;
  if (b < 1 || b > tile.batch) throw new Error(`compiler: a prefill tile of ${b} tokens, the tile layout holds ${tile.batch}`);
  if (!Number.isInteger(first) || first < 0 || first + b > dims.contextLen) throw new Error(`compiler: positions ${first} … ${first + b - 1} outside the context 0 … ${dims.contextLen - 1}`);
  tokens.forEach((tok) => {
    if (!Number.isInteger(tok) || tok < 0 || tok >= dims.vocab) throw new Error(`compiler: token ${tok} outside 0 … ${dims.vocab - 1}`);
  });
  const out = programBuilder();
  const H = dims.hidden;
  const F = dims.intermediate;
  const hw = vecWords(p, H);
  const ts = tokens.map((_, t) => t);
  const tc = tile.cmem;
  const at = (t: number, phase: keyof Omit<typeof tile.slab, "words">): number => tc.slab[t]! + tile.slab[phase];
  const slots = (phase: keyof Omit<typeof tile.slab, "words">): number[] => ts.map((t) => at(t, phase));
  // The decode's helpers on the tile's shared CMEM regions (and, per token, its k / v for the append).
  const shared = { ...layout, cmem: { ...layout.cmem, qRope: tc.qRope, scores: tc.scores, probs: tc.probs, attn: tc.attn } };
  const withKv = (t: number): Layout => ({ ...shared, cmem: { ...shared.cmem, kRope: at(t, "kRope"), v: at(t, "v") } });
  const slot = (t: number): number => tile.bram.base + t * tile.bram.stride;

  const top = emitter(out, null);
  tokens.forEach((tok, t) => {
    const x = packToWords(w.embed[tok]!, p.act_bits, p.host_bits);
    top("host", "weights", `wr_cmem x token ${t} = embed[${tok}]`, { op: "wr_cmem", addr: tc.x[t]!, n: x.length });
    out.send(x);
  });
  layout.layers.forEach((g, l) => {
    const e = emitter(out, l);
    const base = layout.attention.layers[l]!;
    for (const t of ts) {
      rmsnorm(layout, e, tc.x[t]!, tc.xn, (m) => m.attn[l]!, `attention token ${t}`);
      bcastInput(layout, e, tc.xn, H, `attention norm token ${t}`, slot(t));
    }
    weightGemv(layout, w, e, g.k, slots("k"), undefined, tile.bram);
    weightGemv(layout, w, e, g.v, slots("v"), undefined, tile.bram);
    weightGemv(layout, w, e, g.q, slots("q"), () => {
      for (const t of ts) e("intra_controller", "kv", `rope k token ${t}`, vop("rope", dims.kvDim, at(t, "k"), at(t, "kRope"), { pos: first + t }));
      for (const t of ts) kvAppend(withKv(t), e, base, first + t);
    }, tile.bram);
    for (const t of ts) {
      e("intra_controller", "kv", `rope q token ${t}`, vop("rope", H, at(t, "q"), tc.qRope, { pos: first + t }));
      attention(shared, w, e, base, first + t);
      bcastInput(layout, e, tc.attn, layout.attention.attnCols, `attention output token ${t}`, slot(t));
    }
    weightGemv(layout, w, e, g.o, slots("o"), undefined, tile.bram);
    for (const t of ts) {
      residualAdd(layout, e, at(t, "o"), tc.x[t]!, tc.x[t]!, `attention token ${t}`);
      rmsnorm(layout, e, tc.x[t]!, tc.xn, (m) => m.mlp[l]!, `MLP token ${t}`);
      bcastInput(layout, e, tc.xn, H, `MLP norm token ${t}`, slot(t));
    }
    weightGemv(layout, w, e, g.gate_up, slots("gate"), undefined, tile.bram);
    for (const t of ts) {
      e("intra_controller", "weights", `silu gate token ${t}`, vop("silu", F, at(t, "gate"), at(t, "silu")));
      e("intra_controller", "weights", `cp_cram up token ${t}`, { op: "cp_cram", src: at(t, "up"), dst: layout.cram.temp, n: vecWords(p, F) });
      e("intra_controller", "weights", `mul silu × up token ${t}`, vop("mul", F, at(t, "silu"), tc.act, { b: layout.cram.temp, shift: w.shifts.mlpMul }));
      bcastInput(layout, e, tc.act, F, `SiLU × up token ${t}`, slot(t));
    }
    weightGemv(layout, w, e, g.down, slots("down"), undefined, tile.bram);
    for (const t of ts) residualAdd(layout, e, at(t, "down"), tc.x[t]!, tc.x[t]!, `MLP token ${t}`);
    if (opts.readLayers) {
      for (const t of ts) {
        e("host", "weights", `rd_cmem layer output token ${t}`, { op: "rd_cmem", addr: tc.x[t]!, n: hw });
        out.read({ what: "layer_output", layer: l, words: hw, elems: H, pos: first + t });
      }
    }
  });
  for (const t of ts) {
    rmsnorm(layout, top, tc.x[t]!, tc.xn, (m) => m.final, `final token ${t}`);
    bcastInput(layout, top, tc.xn, H, `final norm token ${t}`, slot(t));
  }
  weightGemv(layout, w, top, layout.lmHead, slots("logits"), undefined, tile.bram);
  const lw = vecWords(p, dims.vocab);
  for (const t of ts) {
    top("host", "weights", `rd_cmem logits token ${t}`, { op: "rd_cmem", addr: at(t, "logits"), n: lw });
    out.read({ what: "logits", layer: null, words: lw, elems: dims.vocab, pos: first + t });
  }
  return out.done();
}
