// Float reference of the network the fixed-point golden model (llama.ts) runs: the same weights
// dequantised, float math throughout (no rounding, no saturation, no tables, KV kept in float), the
// textbook LLaMA decoder. Dequantisation (A = activation_bits, F = floor(A/2)):
//   GEMV weight W_f = W_int · 2^-s (s = that GEMV's shift; input and output both scale 2^-F),
//   embedding  E_f = E_code · 2^-F,   gains g_f = g_code · 2^-(A-2),
//   RMSNorm epsilon = the ALU's 2^-meanFrac in code² units = 2^-(meanFrac + 2F),
//   attention scores q·k / sqrt(head_dim), RoPE θ = 10000 (interleaved pairs, as the ALU).
// Golden logits compare as code · 2^-F.
import { floatRmsnorm, floatRope, floatSilu, floatSoftmax } from "./ctrl_float.js";
import type { LlamaWeights } from "./llama-weights.js";

function matvec(wInt: readonly (readonly bigint[])[], shift: number, x: readonly number[]): number[] {
  const scale = 2 ** -shift;
  return wInt.map((row) => {
    let acc = 0;
    row.forEach((wv, i) => {
      acc += Number(wv) * x[i]!;
    });
    return acc * scale;
  });
}

/** Float logits for each position of `tokens` (teacher-forced: every token is fed in order). */
export function floatLogits(w: LlamaWeights, tokens: readonly number[]): number[][] {
  const { dims, numerics, shifts: s } = w;
  const f = numerics.frac;
  const gScale = 2 ** -(numerics.actBits - 2);
  const eps = 2 ** -(w.ctrl.rmsnorm.meanFrac + 2 * f);
  const d = dims.headDim;
  const gains = (g: readonly bigint[]): number[] => g.map((v) => Number(v) * gScale);
  const kCache: number[][][] = w.layers.map(() => []);
  const vCache: number[][][] = w.layers.map(() => []);
  const out: number[][] = [];
  tokens.forEach((token, pos) => {
    let x = w.embed[token]!.map((v) => Number(v) * 2 ** -f);
    w.layers.forEach((lw, l) => {
      const xn = floatRmsnorm(x, gains(lw.attnNorm), eps);
      const q = floatRope(matvec(lw.wq, s.q, xn), pos, d);
      const k = floatRope(matvec(lw.wk, s.k, xn), pos, d);
      const v = matvec(lw.wv, s.v, xn);
      kCache[l]!.push(k);
      vCache[l]!.push(v);
      const attn: number[] = [];
      for (let h = 0; h < dims.heads; h++) {
        const g = Math.floor(h / dims.group);
        const qh = q.slice(h * d, (h + 1) * d);
        const scores = kCache[l]!.map((kr) => qh.reduce((a, qv, j) => a + qv * kr[g * d + j]!, 0) / Math.sqrt(d));
        const p = floatSoftmax(scores);
        for (let j = 0; j < d; j++) attn.push(vCache[l]!.reduce((a, vr, t) => a + p[t]! * vr[g * d + j]!, 0));
      }
      const o = matvec(lw.wo, s.o, attn);
      const h1 = x.map((v2, i) => v2 + o[i]!);
      const hn = floatRmsnorm(h1, gains(lw.mlpNorm), eps);
      const gate = matvec(lw.wGate, s.gate, hn);
      const up = matvec(lw.wUp, s.up, hn);
      const act = gate.map((gv, i) => floatSilu(gv) * up[i]!);
      const down = matvec(lw.wDown, s.down, act);
      x = h1.map((v2, i) => v2 + down[i]!);
    });
    out.push(matvec(w.lmHead, s.lmHead, floatRmsnorm(x, gains(w.finalNorm), eps)));
  });
  return out;
}

/** Pearson correlation of two equal-length vectors. */
export function correlation(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  const ma = a.reduce((x, y) => x + y, 0) / n;
  const mb = b.reduce((x, y) => x + y, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Indices of the k largest values (ties: lower index first). */
export function topK(xs: readonly number[], k: number): number[] {
  return xs
    .map((v, i) => ({ v, i }))
    .sort((p, q) => q.v - p.v || p.i - q.i)
    .slice(0, k)
    .map((e) => e.i);
}
