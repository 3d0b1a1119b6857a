// Deterministic random weights for a spec's LLaMA model (no download): the integer tensors the chip
// holds and the per-GEMV requantisation shifts, as plain data (tests may build or edit them).
//
// Formats (A = numerics.activation_bits, F = floor(A/2), W = numerics.weight_bits):
//   - every GEMV weight: a signed W-bit integer, uniform over the whole range [-2^(W-1), 2^(W-1) - 1];
//     rows are outputs, columns inputs (out = W · x), as the bank's GEMV reads them;
//   - RMSNorm gains: the ALU's gamma format Q1.(A-2) (1.0 = 2^(A-2)), uniform in [0.5, 1.5];
//   - embedding table: A-bit codes in the activation format Q(A-1-F).F, uniform in [-2^F, 2^F]
//     (float values in [-1, 1]);
//   - KV cache: kv_bits codes with kvFrac fractional bits (see LlamaNumerics.kvFrac);
//   - activations (the residual stream, norm outputs, q, k, v, MLP values, logits) are all
//     Q(A-1-F).F: the format the ALUs' RMSNorm produces and SiLU and softmax take.
//
// Requantisation shift rule. A GEMV's result is acc >> s (round half up, saturate to A bits, as the
// die packers do). Its input is Q.F with RMS ≈ 1.0 (2^F codes: RMSNorm output with gain ≈ 1), and
// weights are independent and uniform with σ_W = sqrt((2^(2W) - 1) / 12), so the accumulator's
// spread is σ_acc ≈ sqrt(cols) · σ_W · 2^F. The rule
//     s = max(0, round(log2(sqrt(cols) · σ_W)))
// makes the output's RMS ≈ 1.0 in Q.F as well (between 0.71 and 1.41): the range ±2^(A-1-F) is
// then about 8σ at A = 8, so saturation is rare while F fractional bits still resolve the values.
// The float weight a GEMV represents is W_int · 2^-s (input and output share the scale 2^-F).
// Same seed → the same weights; the PRNG is sim/prng.ts, forked per tensor by name.
import { ctrlParams, type CtrlParams } from "../../generator/rtl/ctrl_params.js";
import { interconnectParams, type InterconnectParams } from "../../generator/rtl/interconnect.js";
import type { LoadedSpec } from "../../generator/spec/load.js";
import { prng, type Prng } from "../prng.js";

export interface LlamaDims {
  hidden: number;
  intermediate: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  kvDim: number;
  /** Query heads per KV head: query head h uses KV head floor(h / group). */
  group: number;
  vocab: number;
}

export interface LlamaNumerics {
  weightBits: number;
  kvBits: number;
  /** A. */
  actBits: number;
  accBits: number;
  /** F = floor(A/2): fractional bits of every activation (Q(A-1-F).F). */
  frac: number;
  /**
   * Fractional bits of the KV cache. kvBits ≥ A: F (the codes are kept as they are). Narrower:
   * min(F, kvBits - 3), at least 0: a sign, two integer bits (±4, about 4σ of k and v, whose RMS is
   * ≈ 1.0) and the rest fraction; 4-bit KV under 8-bit activations is Q2.1 (measured the best of
   * Q3.0, Q2.1 and Q1.2 against float).
   */
  kvFrac: number;
  /** Longest context (workload.context_len): positions 0 … contextLen - 1. */
  contextLen: number;
}

/** Requantisation shifts (die packer: round half up by s, saturate to A bits). */
export interface LlamaShifts {
  q: number;
  k: number;
  v: number;
  o: number;
  gate: number;
  up: number;
  down: number;
  lmHead: number;
  /** Scores q·k: to the softmax input format, with 2^-floor(log2 sqrt(headDim)) of 1/sqrt(headDim). */
  score: number;
  /** Σ p·v: probabilities Q0.(A-1) times KV → Q.F. */
  pv: number;
  /** SiLU(gate) × up (ALU mul shift): 2F → F. */
  mlpMul: number;
}

/** The rest of 1/sqrt(headDim) (a factor in (0.5, 1]) as the ALU's requant op mult / 2^shift; null when it is 1. */
export interface ScoreRequant {
  mult: bigint;
  shift: number;
}

export interface LayerWeights {
  wq: bigint[][];
  wk: bigint[][];
  wv: bigint[][];
  wo: bigint[][];
  wGate: bigint[][];
  wUp: bigint[][];
  wDown: bigint[][];
  /** Gamma of the RMSNorm before attention, Q1.(A-2). */
  attnNorm: bigint[];
  /** Gamma of the RMSNorm before the MLP. */
  mlpNorm: bigint[];
}

export interface LlamaWeights {
  seed: number;
  dims: LlamaDims;
  numerics: LlamaNumerics;
  /** The controller ALUs' formats and tables (shared with the RTL). */
  ctrl: CtrlParams;
  /** The die packers' parameters (requantise). */
  bus: InterconnectParams;
  /** vocab rows of hidden A-bit codes. */
  embed: bigint[][];
  layers: LayerWeights[];
  finalNorm: bigint[];
  /** vocab rows × hidden columns. */
  lmHead: bigint[][];
  shifts: LlamaShifts;
  scoreRequant: ScoreRequant | null;
}

/** The shape of a spec's model, as the golden model (and the compiler) names it. */
export function llamaDims(loaded: Pick<LoadedSpec, "derived">): LlamaDims {
  const m = loaded.derived.model;
  return {
    hidden: m.hidden_size,
    intermediate: m.intermediate_size,
    layers: m.num_hidden_layers,
    heads: m.num_attention_heads,
    kvHeads: m.num_key_value_heads,
    headDim: m.head_dim,
    kvDim: m.kv_dim,
    group: m.group,
    vocab: m.vocab_size,
  };
}

/** The shape and formats of a spec's model, as the golden model uses them. */
export function llamaShape(loaded: LoadedSpec): { dims: LlamaDims; numerics: LlamaNumerics; ctrl: CtrlParams; bus: InterconnectParams } {
  const m = loaded.derived.model;
  const n = loaded.spec.numerics;
  const frac = Math.floor(n.activation_bits / 2);
  return {
    dims: llamaDims(loaded),
    numerics: {
      weightBits: n.weight_bits,
      kvBits: n.kv_bits,
      actBits: n.activation_bits,
      accBits: n.accumulator_bits,
      frac,
      kvFrac: n.kv_bits >= n.activation_bits ? frac : Math.max(0, Math.min(frac, n.kv_bits - 3)),
      contextLen: loaded.spec.workload.context_len,
    },
    ctrl: ctrlParams(loaded),
    bus: interconnectParams(loaded),
  };
}

/** σ of a uniform signed W-bit integer over its whole range. */
export function weightSigma(weightBits: number): number {
  return Math.sqrt((4 ** weightBits - 1) / 12);
}

/** The requantisation shift rule (see the top of the file). */
export function gemvShift(cols: number, weightBits: number): number {
  return Math.max(0, Math.round(Math.log2(Math.sqrt(cols) * weightSigma(weightBits))));
}

/** Attention shifts: scores to the softmax input format with 1/sqrt(headDim); Σ p·v back to Q.F. */
export function attentionScaling(
  numerics: LlamaNumerics,
  ctrl: CtrlParams,
  headDim: number,
): { score: number; pv: number; scoreRequant: ScoreRequant | null } {
  const f = numerics.frac;
  const fk = numerics.kvFrac;
  // q·k has f + fk fractional bits; softmax wants inFrac; 1/sqrt(d) = 2^-k · r, r ∈ (0.5, 1].
  const k = Math.floor(Math.log2(Math.sqrt(headDim)) + 1e-9);
  const r = 2 ** k / Math.sqrt(headDim);
  const score = f + fk - ctrl.softmax.inFrac + k;
  let scoreRequant: ScoreRequant | null = null;
  if (Math.abs(r - 1) > 1e-12) {
    const shift = ctrl.requant.multBits - 1;
    scoreRequant = { mult: BigInt(Math.round(r * 2 ** shift)), shift };
  }
  const pv = ctrl.softmax.outFrac + fk - f;
  if (score < 0 || pv < 0) throw new Error(`attention shifts negative (score ${score}, pv ${pv})`);
  return { score, pv, scoreRequant };
}

function matrix(r: Prng, rows: number, cols: number, bits: number): bigint[][] {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => r.signed(bits)));
}

function gains(r: Prng, len: number, actBits: number): bigint[] {
  const one = 2 ** (actBits - 2);
  return Array.from({ length: len }, () => BigInt(r.int(one / 2, Math.min(2 ** (actBits - 1) - 1, Math.round(one * 1.5)))));
}

/** Checks a shift against the field that carries it; throws naming the GEMV. */
function checkShift(name: string, s: number, bits: number): void {
  if (!Number.isInteger(s) || s < 0 || s >= 2 ** bits) throw new Error(`llama weights: ${name} shift ${s} does not fit the ${bits}-bit shift field`);
}

export function llamaShifts(dims: LlamaDims, numerics: LlamaNumerics, ctrl: CtrlParams, bus: InterconnectParams): { shifts: LlamaShifts; scoreRequant: ScoreRequant | null } {
  const w = numerics.weightBits;
  const att = attentionScaling(numerics, ctrl, dims.headDim);
  const shifts: LlamaShifts = {
    q: gemvShift(dims.hidden, w),
    k: gemvShift(dims.hidden, w),
    v: gemvShift(dims.hidden, w),
    o: gemvShift(dims.hidden, w),
    gate: gemvShift(dims.hidden, w),
    up: gemvShift(dims.hidden, w),
    down: gemvShift(dims.intermediate, w),
    lmHead: gemvShift(dims.hidden, w),
    score: att.score,
    pv: att.pv,
    mlpMul: numerics.frac,
  };
  for (const [name, s] of Object.entries(shifts)) {
    if (name === "mlpMul") checkShift(name, s, ctrl.ew.shBits);
    else checkShift(name, s, bus.shift_w);
  }
  return { shifts, scoreRequant: att.scoreRequant };
}

/** Random weights for the spec's model from `seed`: the same seed gives the same weights. */
export function randomLlamaWeights(loaded: LoadedSpec, seed: number): LlamaWeights {
  const { dims, numerics, ctrl, bus } = llamaShape(loaded);
  const root = prng(seed);
  const wb = numerics.weightBits;
  const a = numerics.actBits;
  const one = 2 ** numerics.frac;
  const er = root.fork("embed");
  const embed = Array.from({ length: dims.vocab }, () => Array.from({ length: dims.hidden }, () => BigInt(er.int(-one, one))));
  const layers = Array.from({ length: dims.layers }, (_, l): LayerWeights => {
    const r = (t: string): Prng => root.fork(`layer${l}.${t}`);
    return {
      wq: matrix(r("q"), dims.hidden, dims.hidden, wb),
      wk: matrix(r("k"), dims.kvDim, dims.hidden, wb),
      wv: matrix(r("v"), dims.kvDim, dims.hidden, wb),
      wo: matrix(r("o"), dims.hidden, dims.hidden, wb),
      wGate: matrix(r("gate"), dims.intermediate, dims.hidden, wb),
      wUp: matrix(r("up"), dims.intermediate, dims.hidden, wb),
      wDown: matrix(r("down"), dims.hidden, dims.intermediate, wb),
      attnNorm: gains(r("attn_norm"), dims.hidden, a),
      mlpNorm: gains(r("mlp_norm"), dims.hidden, a),
    };
  });
  const { shifts, scoreRequant } = llamaShifts(dims, numerics, ctrl, bus);
  return {
    seed,
    dims,
    numerics,
    ctrl,
    bus,
    embed,
    layers,
    finalNorm: gains(root.fork("final_norm"), dims.hidden, a),
    lmHead: matrix(root.fork("lm_head"), dims.vocab, dims.hidden, wb),
    shifts,
    scoreRequant,
  };
}
