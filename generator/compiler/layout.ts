// Where everything lives on the chip for a LLaMA decode: which bank holds which weight rows and
// which KV head, every BMEM / BRAM / CMEM / CRAM address, and the permutations the compiler owns.
// Computed once from the spec (planLayout); the load and step programs only read it.
// weight-rows.ts places a weight GEMV's rows, attention-layout.ts the KV heads; this file adds the
// memory maps and the checks.
//
// Weight GEMVs (Wq, Wk and Wv as one, Wo, gate and up as one, down, LM head): 1-D row partitioning
// over every bank (seed 2.2): each bank holds R = per_word × ceil(N / (banks × per_word)) rows of the N × cols
// matrix and receives the whole input vector in its BRAM (one bcast to every bank); the rows are
// placed so that the compacted gather of all banks returns natural row s at stream index s (rows
// past N are zero rows: the gathered vector is the natural one followed by zeros). 2-D
// partitioning (columns split too) is not used: it would return partial sums that the controller
// must add — more bus traffic, and each partial sum is requantised by its die packer, a second
// rounding that the golden model (one requantisation of the whole dot product) does not have, so it
// could not be bit-exact. A GEMV whose R exceeds what a bank's result packer holds (max_count
// results, fifo_depth words) runs as several GEMVs of at most that many rows, each gathered before
// the next runs.
//
// Attention: KV head g owns nd banks, one per die (nd = 1 for bank_per_head; for banks_per_head
// nd = min(banks_per_head, dies), lowered to a divisor of head_dim): a gather's compaction only
// interleaves banks on different dies, so a head on one bank per die reads back in an order that
// does not depend on how many rows ran. Banks are dealt round-robin over the dies (die 0 bank 0,
// die 1 bank 0, …), head g taking nd consecutive ones; within a head, slot s is its s-th bank in
// die order. Every attention bank uses the same BMEM bases.
//   K cache of head g: position t is in block b = floor(t / per_word) → slot b % nd, local row
//   floor(b / nd) × per_word + t % per_word (d / kv_per_word BMEM words a row). The score GEMV runs
//   R_s = per_word × ceil(ceil(n / per_word) / nd) rows on every attention bank (one gemv, all heads
//   at once): the gather of head g's banks returns positions 0 … n - 1 as its first n elements (the
//   rest are scores of zero rows, past softmax's len n).
//   V^T of head g: slot s holds dims [s·d/nd, (s+1)·d/nd) as rows of V^T, one column per position;
//   a row is Cv = context_len rounded up to kv_per_word columns long (its pitch). The PV GEMV reads
//   the first n columns of each row (gemv pitch = Cv / kv_per_word words) against the n
//   probabilities: its cost grows with the context, as the K side's. One gather of every attention
//   bank takes the PV outputs of all KV heads (for member i of each query group) at once: they come
//   back as a permutation of the heads' dims (with zero pads when d / nd is not a multiple of
//   per_word); the compiler absorbs it into the columns of Wo (woColMap).
//   Scores: the heads whose banks lie on the same dies (one bank a die, in the same bank order on
//   each) are gathered at once, in lockstep: beat i takes word i of each die, so the stream is head
//   after head, each in position order. bank_per_head: one gather a die; banks_per_head with 4 banks
//   a head on 8 dies: one gather of dies 0-3 and one of dies 4-7. The score regions lie in die
//   order, back to back; a head's scores must be whole CMEM words, else it is gathered alone. The
//   requant (when the scores need it) runs in place, one vop a gather.
//   The PV GEMV packs its results (gemv pack) when a bank's d / nd outputs are not whole bus words.
//   The append of position t: st_bmem of head g's k row (after RoPE) to its K row, st_vt of each
//   slot's d / nd elements of v into column t of its V^T rows.
// Controller: every vector starts at a CMEM word; RMSNorm gains stay in CRAM when they fit beside
// the scratch area (else they live in CMEM and are copied to CRAM before each norm); the scratch
// area of CRAM takes the residual (vop add's second operand) and up (vop mul's).
import { llamaDims, type LlamaDims } from "../../sim/golden/llama-weights.js";
import { UserError } from "../errors.js";
import type { CtrlOp } from "../model/cycles-controller.js";
import type { ChipParams } from "../rtl/chip.js";
import type { Derived } from "../spec/derive.js";
import type { LoadedSpec } from "../spec/load.js";
import { planAttention, type AttentionPlan } from "./attention-layout.js";
import { planHeadBcast, type HeadBcast } from "./head-bcast.js";
import { allocator, bramWords, lcm, roundUp, vecWords, type Allocator } from "./sizes.js";
import { mlpChunking, mlpPairs, packerRows, placeWeightRows, stackParts, type GemvName, type GemvPlan, type LayerGemvs, type MatrixName, type MlpPair } from "./weight-rows.js";

export type { AttentionPlan } from "./attention-layout.js";
export type { GemvName, GemvPart, GemvPlan, LayerGemvs, MatrixName } from "./weight-rows.js";
export { partWord } from "./weight-rows.js";

/** The vector ALU ops every decode step uses (requant too when the scores need rescaling: compile.ts). */
export const LLAMA_VECTOR_OPS: readonly CtrlOp[] = ["add", "mul", "softmax", "rmsnorm", "silu", "rope"];

export interface GainMap {
  attn: number[];
  mlp: number[];
  final: number;
}

export interface CmemMap {
  x: number;
  xn: number;
  q: number;
  k: number;
  v: number;
  qRope: number;
  kRope: number;
  /**
   * Per KV head: gathered scores (requantised in place when the scores need it), probabilities
   * (context_len elements each). The score regions lie in die order (AttentionGeometry.scoreRank).
   */
  scores: number[];
  /** Words of one head's scores, and of its probabilities. */
  scoreWords: number;
  probWords: number;
  probs: number[];
  attn: number;
  o: number;
  resid: number;
  mlpNorm: number;
  /** The gate_up GEMV's output (gate and up vectors: Layout.mlp). */
  gate: number;
  silu: number;
  act: number;
  down: number;
  /** Per layer: its output (kept for the host to read; the next layer's input). */
  out: number[];
  finalNorm: number;
  logits: number;
  /** The gains, when they do not stay in CRAM. */
  gains: GainMap | null;
  used: number;
}

export interface CramMap {
  /** The gains, when they stay in CRAM. */
  gains: GainMap | null;
  /** Scratch: the residual and up operands, staged gains. */
  temp: number;
  /**
   * The residual operand of the decode's adds, copied there while the banks compute the GEMV
   * before the add (O, gate/up), when CRAM has room beside the gains and the scratch area; else
   * null (the copy goes into temp right before the add).
   */
  resid: number | null;
  used: number;
}

export interface BramMap {
  /** Input vectors of the weight GEMVs. */
  x: number;
  /** Words of that input: one vector of the widest GEMV (a prefill tile's slot stride). */
  xWords: number;
  /** q of one head, or of every head (Layout.heads.q: the score GEMV's banks each take their own). */
  q: number;
  /** Probabilities of one KV head, or of every one (Layout.heads.p; the PV GEMV). */
  p: number;
  /**
   * The down GEMV's input (SiLU × up) when the MLP runs in chunks and the BRAM has room: each
   * chunk's part is broadcast there while the banks compute the next chunk (reading x). Else null:
   * SiLU × up goes to x after the last chunk.
   */
  down: number | null;
  used: number;
}

export interface LayoutOptions {
  /**
   * The widest GEMM the weight GEMVs will run (prefill's tile, workload.prefill_batch; 1: decode
   * only). Their chunks are cut so that a chunk's results for that many vectors fit a result packer;
   * decode steps on the same layout run the same, smaller, chunks.
   */
  batch?: number;
}

export interface Layout {
  p: ChipParams;
  /** The spec's derived parameters (the bank GEMV's cycles, for placing work under it). */
  derived: Derived;
  /** The GEMM batch the weight chunks serve (LayoutOptions.batch). */
  batch: number;
  /** The model's shape (as the golden LLaMA's) and the longest context. */
  dims: LlamaDims & { contextLen: number };
  /** Most rows one weight gemv may run per bank (packer: max_count results, fifo_depth words for `batch` vectors). */
  maxRows: number;
  layers: LayerGemvs[];
  lmHead: GemvPlan;
  attention: AttentionPlan;
  /** BMEM words of the weight images (from word 0). */
  weightWords: number;
  bmemUsed: number;
  /** BMEM allocation unit: whole bus beats, host words and BMEM words. */
  bmemUnit: number;
  cmem: CmemMap;
  cram: CramMap;
  bram: BramMap;
  /** Whether q and the probabilities go to the banks in one broadcast each (head-bcast.ts). */
  heads: HeadBcast;
  /**
   * The MLP's gate and up vectors in the gate_up GEMV's output, pair by pair: one pair, or (decode
   * layouts whose rows split exactly: weight-rows.ts mlpChunking) one a chunk, SiLU × up of each
   * computed while the banks run the next chunk.
   */
  mlp: MlpPair[];
}

/** The chip's layout for the spec's model (every check that would make a program wrong throws a UserError). */
export function planLayout(loaded: LoadedSpec, p: ChipParams, opts: LayoutOptions = {}): Layout {
  const where = `spec ${loaded.file}`;
  const m = loaded.derived.model;
  const n = loaded.spec.numerics;
  const fail = (msg: string): never => {
    throw new UserError(`${where}: ${msg}`);
  };
  if (n.kv_bits !== n.activation_bits) {
    fail(
      `numerics.kv_bits (${n.kv_bits}) must equal numerics.activation_bits (${n.activation_bits}) for the decode compiler: the K and V rows the chip appends come from CMEM as activation codes, and the chip has no op that narrows them to kv_bits`,
    );
  }
  const missing = LLAMA_VECTOR_OPS.filter((op) => !p.valu.ops.includes(op));
  if (missing.length > 0) {
    fail(
      `chip.controller.vector_ops: LLaMA decode needs the ALU ops ${LLAMA_VECTOR_OPS.join(", ")}; this chip does not build ${missing.join(", ")}. Add them, or leave vector_ops out (every op)`,
    );
  }
  const dims = { ...llamaDims(loaded), contextLen: loaded.spec.workload.context_len };
  const d = dims.headDim;
  const hb = p.host_bits;
  const batch = opts.batch ?? 1;
  if (batch > p.bank.batch) throw new Error(`compiler: a GEMM batch of ${batch}, the banks hold ${p.bank.batch} vectors`);
  const kvRows = packerRows(p);
  if (kvRows < p.bus.per_word) fail(`chip.bus.bits: a bank's result packer holds ${p.bus.max_count} results, less than one bus word (${p.bus.per_word})`);
  const maxRows = packerRows(p, batch);
  if (maxRows < p.bus.per_word) {
    fail(`workload.prefill_batch (${batch}): a GEMM of ${batch} vectors needs ${batch} words of a result packer per bus word of rows, the packer holds ${p.bus.fifo_depth} words; lower prefill_batch to at most ${p.bus.fifo_depth}`);
  }
  const at = planAttention(loaded, p, dims, kvRows, fail);
  const { nd, kRows, kRowPitch, vRows, vRowWords, vCols, attnCols, woColMap } = at;

  // ---- weight GEMVs and BMEM ----
  const unit = lcm(lcm(p.bank.read_bits, p.bus.bcast_bits), hb) / p.bank.read_bits;
  const bmem = allocator();
  const identity = (k: number): number[] => Array.from({ length: k }, (_, i) => i);
  const H = dims.hidden;
  const F = dims.intermediate;
  const gemv = (
    name: GemvName,
    layer: number | null,
    parts: readonly (readonly [MatrixName, number])[],
    cols: number,
    colMap: number[],
    orders: readonly (readonly number[] | undefined)[] = [],
    chunkRows?: readonly number[],
  ): GemvPlan => {
    const stacked = stackParts(p, parts).map((x, i) => (orders[i] ? { ...x, order: orders[i] } : x));
    const plan = placeWeightRows(p, maxRows, name, layer, stacked, cols, colMap, fail, batch, chunkRows);
    return { ...plan, wBase: bmem.take(roundUp(plan.rowsPerBank * plan.wpr, unit), unit) };
  };
  // The MLP in chunks (decode layouts only: a prefill GEMM's packer room is the tile's).
  const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);
  const mlpSizes = batch === 1 ? mlpChunking(p, F, maxRows) : null;
  const mlpStarts = mlpSizes ? mlpSizes.map((_, j) => mlpSizes.slice(0, j).reduce((s, x) => s + x, 0)) : [];
  const gateUp = (l: number): GemvPlan =>
    mlpSizes
      ? gemv(
          "gate_up",
          l,
          mlpSizes.flatMap((s) => [["gate", s] as const, ["up", s] as const]),
          H,
          identity(H),
          mlpSizes.flatMap((s, j) => [range(mlpStarts[j]!, s), range(mlpStarts[j]!, s)]),
          mlpSizes.map((s) => (2 * s) / p.banks),
        )
      : gemv("gate_up", l, [["gate", F], ["up", F]], H, identity(H));
  const layers = Array.from({ length: dims.layers }, (_, l): LayerGemvs => ({
    q: gemv("q", l, [["q", H]], H, identity(H)),
    k: gemv("k", l, [["k", dims.kvDim]], H, identity(H)),
    // In the V append's order when it runs as one st_vt (attention-layout.ts vOrder).
    v: gemv("v", l, [["v", dims.kvDim]], H, identity(H), [at.vOrder ?? undefined]),
    o: gemv("o", l, [["o", H]], attnCols, woColMap),
    gate_up: gateUp(l),
    down: gemv("down", l, [["down", H]], F, identity(F)),
  }));
  const lmHead = gemv("lm_head", null, [["lm_head", dims.vocab]], H, identity(H));
  const weightWords = roundUp(bmem.used(), unit);
  const kvBase = bmem.take(0, unit);
  const kvLayers = Array.from({ length: dims.layers }, () => ({
    k: bmem.take(roundUp(kRows * kRowPitch, unit), unit),
    v: bmem.take(roundUp(vRows * vRowWords, unit), unit),
  }));
  const bmemUsed = roundUp(bmem.used(), unit);
  if (bmemUsed > p.bank.bmem_depth) {
    fail(
      `chip.bank.memory_bytes: the decode layout needs ${bmemUsed} BMEM words of ${p.bank.read_bits} bits a bank (${weightWords} of weights, ${bmemUsed - weightWords} of KV cache), the bank holds ${p.bank.bmem_depth}`,
    );
  }
  const allGemvs = [...layers.flatMap((L) => Object.values(L)), lmHead];
  const widest = Math.max(...allGemvs.map((g) => g.cols), vCols, d);
  if (widest > p.bank.max_cols) fail(`chip.bank.bram_bytes: a GEMV of ${widest} columns does not fit the BRAM (${p.bank.max_cols} activations)`);

  // ---- BRAM ----
  // q and the probabilities of every head at once (one broadcast each) when the offsets allow and
  // the BRAM holds them; a prefill layout (batch > 1) keeps the BRAM for its tile: one head's.
  const probWords = vecWords(p, vCols);
  const xWords = bramWords(p, Math.max(...allGemvs.map((g) => g.cols)));
  const bramFor = (heads: HeadBcast, down: boolean): BramMap => {
    const bramAlloc = allocator();
    const map = {
      x: bramAlloc.take(xWords),
      xWords,
      q: bramAlloc.take(bramWords(p, heads.q ? H : d)),
      p: bramAlloc.take(bramWords(p, heads.p ? dims.kvHeads * probWords * p.host_elems : vCols)),
      down: down ? bramAlloc.take(bramWords(p, F)) : null,
      used: 0,
    };
    map.used = bramAlloc.used();
    return map;
  };
  // In order of preference, the first that fits: every head's q and p at once, then the MLP's own input region.
  const single: HeadBcast = { q: null, p: null };
  const headPlan = batch === 1 ? planHeadBcast(p, nd, dims, probWords) : single;
  const chunked = mlpSizes !== null;
  const options: [HeadBcast, boolean][] = [
    [headPlan, chunked],
    [headPlan, false],
    [single, chunked],
    [single, false],
  ];
  const chosen = options.map(([h, down]) => ({ heads: h, down })).find(({ heads: h, down }) => bramFor(h, down).used <= p.bank.bram_depth) ?? { heads: single, down: false };
  const heads = chosen.heads;
  const bram = bramFor(heads, chosen.down);
  if (bram.used > p.bank.bram_depth) fail(`chip.bank.bram_bytes: the decode layout needs ${bram.used} BRAM words a bank, the bank holds ${p.bank.bram_depth}`);

  // ---- CRAM: gains resident when they fit beside the scratch area ----
  const hw = vecWords(p, H);
  const tempWords = Math.max(hw, vecWords(p, F));
  const gainWords = (2 * dims.layers + 1) * hw;
  const resident = gainWords + tempWords <= p.cram_depth;
  if (tempWords > p.cram_depth) fail(`chip.controller.cram_bytes: the decode needs ${tempWords} CRAM words of scratch (up, ${F} activations), CRAM holds ${p.cram_depth}`);
  const gainMap = (alloc: Allocator): GainMap => ({
    attn: Array.from({ length: dims.layers }, () => alloc.take(hw)),
    mlp: Array.from({ length: dims.layers }, () => alloc.take(hw)),
    final: alloc.take(hw),
  });
  const cramAlloc = allocator();
  const cramGains = resident ? gainMap(cramAlloc) : null;
  const temp = cramAlloc.take(tempWords);
  const resid = cramAlloc.used() + hw <= p.cram_depth ? cramAlloc.take(hw) : null;
  const cram: CramMap = { gains: cramGains, temp, resid, used: 0 };
  cram.used = cramAlloc.used();

  // ---- CMEM ----
  const c = allocator();
  // The gains first: the prefill tile (prefill-program.ts) lays CMEM out afresh above them.
  const cmemGains = resident ? null : gainMap(c);
  const L = layers[0]!;
  const sw = vecWords(p, kRows * nd);
  const perHead = (words: number): number[] => Array.from({ length: dims.kvHeads }, () => c.take(words));
  // Score regions in die order (at.scoreRank): a die's heads' regions back to back.
  const inDieOrder = (words: number): number[] => {
    const base = c.take(words * dims.kvHeads);
    return at.scoreRank.map((r) => base + r * words);
  };
  const x = c.take(hw);
  const xn = c.take(hw);
  const q = c.take(L.q.outWords);
  const k = c.take(L.k.outWords);
  const v = c.take(L.v.outWords);
  const cmem: CmemMap = {
    x,
    xn,
    q,
    k,
    v,
    qRope: c.take(vecWords(p, H)),
    kRope: c.take(vecWords(p, dims.kvDim)),
    scores: inDieOrder(sw),
    scoreWords: sw,
    probs: perHead(probWords),
    probWords,
    attn: c.take(attnCols / p.host_elems),
    o: c.take(L.o.outWords),
    resid: c.take(hw),
    mlpNorm: c.take(hw),
    // gate and up: one GEMV's output (Layout.mlp: where each pair's vectors are).
    gate: c.take(L.gate_up.outWords),
    silu: c.take(vecWords(p, F)),
    act: c.take(vecWords(p, F)),
    down: c.take(L.down.outWords),
    out: Array.from({ length: dims.layers }, () => c.take(hw)),
    finalNorm: c.take(hw),
    logits: c.take(lmHead.outWords),
    gains: cmemGains,
    used: 0,
  };
  cmem.used = c.used();
  if (cmem.used > p.cmem_depth) fail(`chip.controller.cmem_bytes: the decode needs ${cmem.used} CMEM words, CMEM holds ${p.cmem_depth}`);

  return {
    p,
    derived: loaded.derived,
    batch,
    dims,
    maxRows,
    layers,
    lmHead,
    attention: { ...at, layers: kvLayers, zero: { base: kvBase, words: bmemUsed - kvBase } },
    weightWords,
    bmemUsed,
    bmemUnit: unit,
    cmem,
    cram,
    bram,
    heads,
    mlp: mlpPairs(p, L.gate_up),
  };
}
