// The decode-step program for one token at position pos: the same operations, in the same order
// and with the same shifts, as sim/golden/llama.ts decodeStep, on the layout of layout.ts.
//
//   host     wr_cmem x = embed[token] (the embedding lookup is the host's)
//   layer l  rmsnorm(x, attn gain) → bcast → gemv k → gemv q ‖ gather k (prev), rope k (pos),
//            st_bmem k rows (position pos) → gemv v ‖ gather q (prev), rope q, bcast q, the other
//            st_bmem → gather v → attention (its first score gemv ‖ st_vt v columns, position pos)
//            → bcast → gemv o ‖ x into CRAM → gather o → add(o, x) → rmsnorm(·, mlp gain)
//            → bcast → gemv gate and up, chunk by chunk: chunk j + 1 ‖ gather chunk j (prev),
//            silu(gate_j), mul(silu_j, up_j, shift F), bcast into the down GEMV's input (the
//            residual into CRAM under the last) → gather and tail of the last chunk
//            → gemv+gather down → add(down, resid) = layer output
//   (a ‖ b: b runs on the controller and the bus while the banks compute a: the chip's gemv starts
//   the banks and the sequencer goes on; the KV appends and broadcasts use the banks' second write
//   ports; a gather with prev drains the GEMV before the running one.)
//   final    rmsnorm(·, final gain) → bcast → gemv+gather LM head → rd_cmem logits (the host takes argmax)
// Attention, for each member i of a query group (query head h = g × group + i of every KV head g
// at once): bcast q_h to each of head g's banks → one score gemv on every attention bank → gather
// per die set (the heads whose banks share dies run in lockstep: their regions back to back) or per
// KV head → [requant] → softmax (len pos + 1) → bcast p to head g's banks → one PV gemv → one gather
// of every attention bank into member i's block of the attention vector.
// add and mul take their second operand from CRAM (cp_cram first); the golden's add(x, o) and
// mul(silu, up) are symmetric, so the operand order does not matter.
import { CTRL_OPCODES } from "../rtl/ctrl_valu.js";
import type { Instruction } from "../rtl/chip.js";
import type { LlamaWeights } from "../../sim/golden/llama-weights.js";
import { allBanks, bankMask, dieOf, gatherStream } from "./gather-order.js";
import { gemvShift } from "./images.js";
import { kSlot, scoreRows } from "./attention-layout.js";
import { bankGemvCycles } from "../model/cycles.js";
import { packedBank } from "../model/cycles-bus.js";
import { instructionCycles } from "../model/cycles-chip.js";
import type { GemvPlan, Layout } from "./layout.js";
import type { MlpPair } from "./weight-rows.js";
import { vecWords } from "./sizes.js";
import { programBuilder, type InstrTag, type Part, type Program, type ProgramBuilder, type Stream } from "./program.js";
import { packToWords } from "./words.js";

export interface StepOptions {
  /** rd_cmem every layer's output after the layer (for comparing with the golden trace). */
  readLayers?: boolean;
}

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

/** A GEMM's inputs (prefill's tile): vector t at BRAM word base + t × stride of every bank. */
export interface GemmInputs {
  base: number;
  stride: number;
}

/**
 * A weight GEMV whose input is already in every BRAM: gemv and gather per chunk into CMEM[dst ..]
 * (weightGemvChain: each chunk gathered while the banks compute the next). With `gemm`, one GEMM
 * of dst.length vectors per chunk instead, each vector's results gathered
 * (gather tok t) into dst[t] + the chunk's offset. `during` emits work that runs while the banks
 * compute the last chunk (between its gemv and its gathers): it must not write the words the GEMV
 * reads or the gathers fill.
 */
export function weightGemv(
  layout: Layout,
  w: LlamaWeights,
  e: Emit,
  plan: GemvPlan,
  dst: number | readonly number[],
  during: () => void = () => {},
  gemm?: GemmInputs,
): void {
  const { p } = layout;
  const all = bankMask(allBanks(p));
  const dsts = typeof dst === "number" ? [dst] : dst;
  if (!gemm && dsts.length !== 1) throw new Error("compiler: a weight GEMV has one destination");
  // A GEMV: its chunks back to back, each gathered under the next. A GEMM: chunk by chunk, each
  // vector gathered by tok (which gather prev does not serve).
  if (!gemm) {
    weightGemvChain(layout, w, e, [{ plan, dst: dsts[0]!, during }]);
    return;
  }
  plan.chunks.forEach((ch, i) => {
    const what = plan.chunks.length > 1 ? `${plan.name} rows ${ch.first}…${ch.first + ch.rows - 1}` : plan.name;
    e("intra_bank_weights", "weights", `gemm ${what} × ${dsts.length} tokens`, {
      op: "gemv",
      rows: ch.rows,
      cols: plan.cols,
      w_base: plan.wBase + ch.first * plan.wpr,
      shift: gemvShift(w, plan),
      kv: 0,
      mask: all,
      pack: plan.pack ? 1 : 0,
      a_base: gemm.base,
      batch: dsts.length,
      a_stride: gemm.stride,
    });
    if (i === plan.chunks.length - 1) during();
    dsts.forEach((d, t) => e("controller_bank", "weights", `gather ${what} token ${t}`, { op: "gather", mask: all, addr: d + ch.outWord, tok: t }));
  });
}

/** One weight GEMV of a chain (weightGemvChain): its plan, where it is gathered, what runs under it. */
export interface ChainedGemv {
  plan: GemvPlan;
  dst: number;
  /** Emitted while the banks compute this GEMV's last chunk (after the previous GEMV's gathers). */
  during?: () => void;
  /** Emitted right after chunk k's gather (while the banks compute the next chunk, if any). */
  afterGather?: (k: number) => void;
  /** BRAM word of the input vector (default: the weight GEMVs' input, layout.bram.x). */
  aBase?: number;
}

/**
 * Independent weight GEMVs (one input vector in BRAM), every chunk started as soon as the banks
 * are free: gemv c0, gemv c1, gather c0 with prev (it drains c0 while the banks compute c1), gemv
 * c2, gather c1 with prev, …, gather of the last chunk. A chunk's gather goes before the next gemv
 * instead when a packer could not hold both chunks' words.
 */
export function weightGemvChain(layout: Layout, w: LlamaWeights, e: Emit, jobs: readonly ChainedGemv[]): void {
  const { p } = layout;
  const all = bankMask(allBanks(p));
  const units = jobs.flatMap((job) =>
    job.plan.chunks.map((ch, i) => ({
      job,
      ch,
      k: i,
      last: i === job.plan.chunks.length - 1,
      what: job.plan.chunks.length > 1 ? `${job.plan.name} rows ${ch.first}…${ch.first + ch.rows - 1}` : job.plan.name,
    })),
  );
  const packerWords = (u: (typeof units)[number], k: number): number => packedBank(p.bus.per_word, u.ch.rows, k, u.job.plan.pack).words;
  const fitsBoth = (a: (typeof units)[number], b: (typeof units)[number]): boolean =>
    Array.from({ length: p.banks_per_die }, (_, k) => k).every((k) => packerWords(a, k) + packerWords(b, k) <= p.bus.fifo_depth);
  const gather = (u: (typeof units)[number], prev: boolean): void => {
    e("controller_bank", "weights", `gather ${u.what}`, { op: "gather", mask: all, addr: u.job.dst + u.ch.outWord, ...(prev ? { prev: 1 } : {}) });
    u.job.afterGather?.(u.k);
  };
  units.forEach((u, i) => {
    const before = units[i - 1];
    const overlap = before !== undefined && fitsBoth(before, u);
    if (before && !overlap) gather(before, false);
    const { plan } = u.job;
    const { ch } = u;
    e("intra_bank_weights", "weights", `gemv ${u.what}`, {
      op: "gemv",
      rows: ch.rows,
      cols: plan.cols,
      w_base: plan.wBase + ch.first * plan.wpr,
      shift: gemvShift(w, plan),
      kv: 0,
      mask: all,
      pack: plan.pack ? 1 : 0,
      a_base: u.job.aBase ?? layout.bram.x,
    });
    if (before && overlap) gather(before, true);
    if (u.last) u.job.during?.();
  });
  const end = units[units.length - 1];
  if (end) gather(end, false);
}

/** Every query head's q (after RoPE) in one broadcast (Layout.heads.q: each bank takes its own head's). */
function bcastQ(layout: Layout, e: Emit): void {
  const { p, cmem, bram, dims } = layout;
  e("controller_bank", "kv", "bcast q (every head)", { op: "bcast", addr: cmem.qRope, n: vecWords(p, dims.heads * dims.headDim), bram: bram.q, bank: 0 });
}

/**
 * SiLU(gate) × up of one MLP pair into its elements of CMEM act (up copied to CRAM first: mul's
 * second operand), and, with a BRAM region for the down GEMV's input, broadcast there.
 */
function siluTimesUp(layout: Layout, w: LlamaWeights, e: Emit, pair: MlpPair, downIn: number | null): void {
  const { p, cmem, cram } = layout;
  const he = p.host_elems;
  const at = pair.first / he;
  const what = pair.elems === layout.dims.intermediate ? "" : ` ${pair.first}…${pair.first + pair.elems - 1}`;
  e("intra_controller", "weights", `silu gate${what}`, vop("silu", pair.elems, cmem.gate + pair.gateWord, cmem.silu + at));
  e("intra_controller", "weights", `cp_cram up${what}`, { op: "cp_cram", src: cmem.gate + pair.upWord, dst: cram.temp + at, n: vecWords(p, pair.elems) });
  e("intra_controller", "weights", `mul silu × up${what}`, vop("mul", pair.elems, cmem.silu + at, cmem.act + at, { b: cram.temp + at, shift: w.shifts.mlpMul }));
  if (downIn !== null) bcastInput(layout, e, cmem.act + at, pair.elems, `SiLU × up${what}`, downIn + (pair.first * p.act_bits) / (p.bus.bcast_bits * p.bus.bram_r));
}

/** The controller cycles of the gather of a plan's last chunk (the compiler's budget for a window). */
export function lastGatherCycles(layout: Layout, plan: GemvPlan): number {
  const ch = plan.chunks[plan.chunks.length - 1]!;
  return instructionCycles(layout.p, layout.derived, { op: "gather", mask: bankMask(allBanks(layout.p)), addr: 0 }, ch.rows, plan.pack).cycles;
}

/** The input vector (elems activations at CMEM[src]) into every bank's BRAM: at the GEMVs' input, or at `bram`. */
export function bcastInput(layout: Layout, e: Emit, src: number, elems: number, what: string, bram = layout.bram.x): void {
  e("controller_bank", "weights", `bcast ${what}`, { op: "bcast", addr: src, n: vecWords(layout.p, elems), bram, bank: 0 });
}

/** vop rmsnorm of CMEM[src] with a gain (in CRAM, or copied there from CMEM) into CMEM[dst]. */
export function rmsnorm(layout: Layout, e: Emit, src: number, dst: number, gain: (m: NonNullable<Layout["cram"]["gains"]>) => number, what: string): void {
  const { p, cram, cmem } = layout;
  const H = layout.dims.hidden;
  let b: number;
  if (cram.gains) {
    b = gain(cram.gains);
  } else {
    b = cram.temp;
    e("intra_controller", "weights", `cp_cram ${what} gain`, { op: "cp_cram", src: gain(cmem.gains!), dst: b, n: vecWords(p, H) });
  }
  e("intra_controller", "weights", `rmsnorm ${what}`, vop("rmsnorm", H, src, dst, { b }));
}

/**
 * y = a + CMEM[b] (b copied to CRAM first), len elements. With `staged`, b is already in CRAM's
 * residual region (stageResidual, emitted under the GEMV before).
 */
export function residualAdd(layout: Layout, e: Emit, a: number, b: number, y: number, what: string, staged = false): void {
  const { p, cram } = layout;
  const H = layout.dims.hidden;
  if (staged && cram.resid !== null) {
    e("intra_controller", "weights", `add ${what}`, vop("add", H, a, y, { b: cram.resid }));
    return;
  }
  e("intra_controller", "weights", `cp_cram ${what} residual`, { op: "cp_cram", src: b, dst: cram.temp, n: vecWords(p, H) });
  e("intra_controller", "weights", `add ${what}`, vop("add", H, a, y, { b: cram.temp }));
}

/** The residual CMEM[b] into CRAM's residual region, for a residualAdd(…, staged) (nothing without the region). */
export function stageResidual(layout: Layout, e: Emit, b: number, what: string): void {
  const { p, cram } = layout;
  if (cram.resid === null) return;
  e("intra_controller", "weights", `cp_cram ${what} residual`, { op: "cp_cram", src: b, dst: cram.resid, n: vecWords(p, layout.dims.hidden) });
}

/** Append position pos's k (after RoPE) and v of every KV head to its banks. */
export function kvAppend(layout: Layout, e: Emit, base: { k: number; v: number }, pos: number): void {
  kAppend(layout, e, base, pos);
  vAppend(layout, e, base, pos);
}

/** The st_bmem instructions that append position pos's k (after RoPE) of every KV head to its K rows. */
function kAppends(layout: Layout, base: { k: number; v: number }, pos: number): { what: string; instr: Extract<Instruction, { op: "st_bmem" }> }[] {
  const { p, attention: at, cmem, dims } = layout;
  const kw = vecWords(p, dims.headDim);
  const { slot, row } = kSlot(p, at.nd, pos);
  return at.heads.map((banks, g) => ({
    what: `st_bmem k head ${g} → bank ${banks[slot]!}`,
    instr: { op: "st_bmem", bank: banks[slot]!, addr: base.k + row * at.kRowPitch, n: kw, src: cmem.kRope + g * kw },
  }));
}

/** Append position pos's k (after RoPE) of every KV head to its K rows (st_bmem). */
export function kAppend(layout: Layout, e: Emit, base: { k: number; v: number }, pos: number): void {
  for (const a of kAppends(layout, base, pos)) e("controller_bank", "kv", a.what, a.instr);
}

/** The st_vt instructions that append position pos's v of every KV head to column pos of its V^T rows. */
function vAppends(layout: Layout, base: { k: number; v: number }, pos: number): { what: string; instr: Extract<Instruction, { op: "st_vt" }> }[] {
  const { p, attention: at, cmem, dims } = layout;
  const d = dims.headDim;
  const kvpw = p.bank.kv_per_word;
  if (at.vSpread > 0) {
    // One st_vt: banks 0 .. L-1 of every die, v in the append's order (the V GEMV's vOrder).
    const instr = { op: "st_vt", bank: 0, addr: base.v + Math.floor(pos / kvpw), stride: at.vRowWords, field: pos % kvpw, n: dims.kvHeads * d, src: cmem.v, spread: at.vSpread } as const;
    return [{ what: `st_vt v (every KV head, ${at.vSpread} banks a die)`, instr }];
  }
  return at.heads.flatMap((banks, g) =>
    banks.map((bank, s) => ({
      what: `st_vt v head ${g} dims ${s * at.vRows}… → bank ${bank}`,
      instr: {
        op: "st_vt",
        bank,
        addr: base.v + Math.floor(pos / kvpw),
        stride: at.vRowWords,
        field: pos % kvpw,
        n: at.vRows,
        src: cmem.v + ((g * d + s * at.vRows) * p.act_bits) / p.host_bits,
      } satisfies Instruction,
    })),
  );
}

/** Append position pos's v of every KV head to column pos of its V^T rows (st_vt). */
export function vAppend(layout: Layout, e: Emit, base: { k: number; v: number }, pos: number): void {
  for (const a of vAppends(layout, base, pos)) e("controller_bank", "kv", a.what, a.instr);
}

/**
 * Decode's KV appends placed under the banks' GEMVs: in order (the K appends, then the V appends),
 * each window (a weight GEMV's last chunk, under which `during` runs, less `before` cycles of other
 * work there) takes the appends that fit its bank time, so that its gather waits for the banks
 * anyway; what is left runs under the first score GEMV (the PV GEMV is the first to read V; the K
 * appends must fit the windows before it: the last window takes whatever K appends are left).
 * Returns one emitter per window and one for the score GEMV.
 */
function scheduleAppends(
  layout: Layout,
  e: Emit,
  windows: readonly { plan: GemvPlan; before: number; kOnly?: boolean }[],
  base: { k: number; v: number },
  pos: number,
): { under: (() => void)[]; underScores: () => void } {
  const ks = kAppends(layout, base, pos);
  const vs = vAppends(layout, base, pos);
  const cost = (i: Instruction): number => instructionCycles(layout.p, layout.derived, i).cycles;
  const queue: { what: string; instr: Instruction; k: boolean }[] = [...ks.map((a) => ({ ...a, k: true })), ...vs.map((a) => ({ ...a, k: false }))];
  const parts = windows.map((wdw, wi) => {
    const last = wdw.plan.chunks[wdw.plan.chunks.length - 1]!;
    let room = bankGemvCycles(layout.derived, last.rows, wdw.plan.cols).total - 1 - wdw.before;
    const taken: typeof queue = [];
    while (queue.length > 0) {
      // A window before v is gathered takes K appends only.
      if (wdw.kOnly && !queue[0]!.k) break;
      const c = cost(queue[0]!.instr);
      // The last window takes every K append left: the score GEMV reads them.
      if (c > room && !(wi === windows.length - 1 && queue[0]!.k)) break;
      room -= c;
      taken.push(queue.shift()!);
    }
    return taken;
  });
  const emit = (part: typeof queue): void => part.forEach((a) => e("controller_bank", "kv", a.what, a.instr));
  const rest = [...queue];
  return { under: parts.map((part) => () => emit(part)), underScores: () => emit(rest) };
}

/** Checks that a head's score gather returns positions 0 … n - 1 first (the K layout's promise). */
function checkScoreOrder(layout: Layout, banks: readonly number[], rows: number, n: number): void {
  const { p, attention: at } = layout;
  const pw = p.bus.per_word;
  gatherStream(p, banks, rows)
    .slice(0, n)
    .forEach((slot, j) => {
      const t = slot === null ? -1 : (Math.floor(slot.row / pw) * at.nd + banks.indexOf(slot.bank)) * pw + (slot.row % pw);
      if (t !== j) throw new Error(`compiler: score ${j} of a head's gather is position ${t} (K layout broken)`);
    });
}

/**
 * Attention of every query head at position pos (n = pos + 1 positions) into the attention vector.
 * `duringScores` emits work that runs while the banks compute the first score GEMV (between it and
 * its gathers): decode's V appends, which the PV GEMV needs and the score GEMV does not read.
 */
export function attention(layout: Layout, w: LlamaWeights, e: Emit, base: { k: number; v: number }, pos: number, duringScores: () => void = () => {}, qSent = false): void {
  const { p, attention: at, cmem, bram, dims } = layout;
  const d = dims.headDim;
  const n = pos + 1;
  const qw = vecWords(p, d);
  const mask = bankMask(at.banks);
  const rows = scoreRows(p, at.nd, n);
  const slices = p.bank.bram_slices;
  const { q: hq, p: hp } = layout.heads;
  at.heads.forEach((banks) => checkScoreOrder(layout, banks, rows, n));
  // Every query head's q at once: KV head g's banks take query head g × group + i (head-bcast.ts).
  if (hq && !qSent) bcastQ(layout, e);
  if (hp && at.heads.some((_, g) => cmem.probs[g] !== cmem.probs[0]! + g * cmem.probWords)) throw new Error("compiler: the probability regions are not back to back");
  for (let i = 0; i < dims.group; i++) {
    const headOf = (g: number): number => g * dims.group + i;
    if (!hq) {
      at.heads.forEach((banks, g) => {
        for (const bank of banks) {
          e("controller_bank", "kv", `bcast q head ${headOf(g)} → bank ${bank}`, { op: "bcast", addr: cmem.qRope + headOf(g) * qw, n: qw, bram: bram.q, bank: bank + 1 });
        }
      });
    }
    const qBeat = hq ? i * hq.beatsPerHead : 0;
    e("intra_bank_kv", "kv", `gemv scores (query heads ${at.heads.map((_, g) => headOf(g)).join(", ")})`, {
      op: "gemv",
      rows,
      cols: d,
      w_base: base.k,
      a_base: bram.q + Math.floor(qBeat / slices),
      pitch: at.kRowPitch,
      shift: w.shifts.score,
      kv: 1,
      mask,
      ...(hq ? { a_slice: qBeat % slices, hsh: hq.hsh, hstep: hq.hstep } : {}),
    });
    if (i === 0) duringScores();
    const gathered = gatherScores(layout, e, rows, n, headOf);
    // The requant in place, one vop a gather (its heads' regions back to back; an element-wise op
    // writes word k after reading it). A lockstep gather's regions hold the pad scores past n too.
    const rq = w.scoreRequant;
    if (rq) {
      // A vop's len field bounds a run: longer ones take several vops, each whole CMEM words.
      const most = Math.floor((2 ** p.valu.len_w - 1) / p.host_elems) * p.host_elems;
      for (const { base, len, heads } of gathered.runs) {
        for (let at = 0; at < len; at += most) {
          const part = len <= most ? "" : ` part ${at / most}`;
          e("intra_controller", "kv", `requant scores (query heads ${heads.map(headOf).join(", ")})${part}`, vop("requant", Math.min(most, len - at), base + at / p.host_elems, base + at / p.host_elems, { shift: rq.shift, mult: rq.mult }));
        }
      }
    }
    at.heads.forEach((_, g) => {
      e("intra_controller", "kv", `softmax head ${headOf(g)}`, vop("softmax", n, gathered.at[g]!, cmem.probs[g]!));
    });
    const pw = vecWords(p, n);
    if (hp) {
      e("controller_bank", "kv", `bcast p (query heads ${at.heads.map((_, g) => headOf(g)).join(", ")})`, { op: "bcast", addr: cmem.probs[0]!, n: at.heads.length * cmem.probWords, bram: bram.p, bank: 0 });
    } else {
      at.heads.forEach((banks, g) => {
        for (const bank of banks) {
          e("controller_bank", "kv", `bcast p head ${headOf(g)} → bank ${bank}`, { op: "bcast", addr: cmem.probs[g]!, n: pw, bram: bram.p, bank: bank + 1 });
        }
      });
    }
    e("intra_bank_kv", "kv", `gemv PV (query heads ${at.heads.map((_, g) => headOf(g)).join(", ")})`, {
      op: "gemv",
      rows: at.vRows,
      cols: n,
      w_base: base.v,
      a_base: bram.p,
      shift: w.shifts.pv,
      kv: 1,
      mask,
      // V^T rows are reserved for the whole context: read the first n columns of each.
      pitch: at.vRowWords,
      pack: at.pvPack ? 1 : 0,
      ...(hp ? { hsh: hp.hsh, hstep: hp.hstep } : {}),
    });
    e("controller_bank", "kv", `gather PV (query heads ${at.heads.map((_, g) => headOf(g)).join(", ")})`, { op: "gather", mask, addr: cmem.attn + i * at.pvWords });
  }
}

/**
 * The score gathers after a score GEMV of `rows` rows. Heads whose banks lie on the same dies (one
 * bank a die, the same bank order on each) run in lockstep through a gather of all their banks:
 * beat i takes word i of each die, so the stream is head after head, each in position order (its
 * nd slots' words interleaved), and each head's region is nd × rows elements. One gather serves
 * such a die set when a head's region is whole CMEM words (the regions lie back to back in
 * scoreRank order: layout.ts), checked element by element against the K layout; any other head is
 * gathered alone. bank_per_head: one gather a die. Returns where each head's scores land.
 */
function gatherScores(layout: Layout, e: Emit, rows: number, n: number, headOf: (g: number) => number): GatheredScores {
  const { p, attention: at, cmem } = layout;
  const where: number[] = [...cmem.scores];
  const runs: GatheredScores["runs"] = [];
  const alone = (g: number): void => {
    e("controller_bank", "kv", `gather scores head ${headOf(g)}`, { op: "gather", mask: bankMask(at.heads[g]!), addr: cmem.scores[g]! });
    runs.push({ base: cmem.scores[g]!, len: n, heads: [g] });
  };
  const bits = at.nd * rows * p.act_bits;
  const sets = new Map<string, number[]>();
  at.heads.forEach((banks, g) => {
    const key = banks.map((b) => dieOf(p, b)).join(",");
    sets.set(key, [...(sets.get(key) ?? []), g]);
  });
  for (const heads of [...sets.values()].sort((a, b) => at.scoreRank[a[0]!]! - at.scoreRank[b[0]!]!)) {
    const inRank = [...heads].sort((a, b) => at.scoreRank[a]! - at.scoreRank[b]!);
    const banks = inRank.flatMap((g) => at.heads[g]!);
    const lockstep = bits % p.host_bits === 0 && inRank.every((g, k) => at.scoreRank[g] === at.scoreRank[inRank[0]!]! + k) && inLockstep(layout, inRank, banks, rows, n);
    if (heads.length === 1 || !lockstep) {
      inRank.forEach(alone);
      continue;
    }
    const base = cmem.scores[inRank[0]!]!;
    inRank.forEach((g, k) => {
      where[g] = base + (k * bits) / p.host_bits;
    });
    runs.push({ base, len: inRank.length * at.nd * rows, heads: inRank });
    const dies = [...new Set(banks.map((b) => dieOf(p, b)))].sort((a, b) => a - b);
    e("controller_bank", "kv", `gather scores ${dies.length === 1 ? `die ${dies[0]}` : `dies ${dies.join(", ")}`} (query heads ${inRank.map(headOf).join(", ")})`, {
      op: "gather",
      mask: bankMask(banks),
      addr: base,
    });
  }
  return { at: where, runs };
}

/** Where each KV head's scores landed, and the CMEM runs the gathers wrote (a vop's reach each). */
interface GatheredScores {
  at: number[];
  runs: { base: number; len: number; heads: number[] }[];
}

/** Whether one gather of `banks` returns head inRank[k]'s positions 0 … n - 1 at elements k × nd × rows + j. */
function inLockstep(layout: Layout, inRank: readonly number[], banks: readonly number[], rows: number, n: number): boolean {
  const { p, attention: at } = layout;
  const pw = p.bus.per_word;
  const stream = gatherStream(p, banks, rows);
  const region = at.nd * rows;
  return inRank.every((g, k) => {
    const own = at.heads[g]!;
    for (let j = 0; j < n; j++) {
      const slot = stream[k * region + j];
      if (!slot || !own.includes(slot.bank)) return false;
      if ((Math.floor(slot.row / pw) * at.nd + own.indexOf(slot.bank)) * pw + (slot.row % pw) !== j) return false;
    }
    return true;
  });
}

/** The decode step for `token` at position `pos` (the load program must have run, and steps 0 … pos - 1). */
export function stepProgram(layout: Layout, w: LlamaWeights, pos: number, token: number, opts: StepOptions = {}): Program {
  const { p, cmem, dims } = layout;
  if (!Number.isInteger(pos) || pos < 0 || pos >= dims.contextLen) throw new Error(`compiler: position ${pos} outside the context 0 … ${dims.contextLen - 1}`);
  if (!Number.isInteger(token) || token < 0 || token >= dims.vocab) throw new Error(`compiler: token ${token} outside 0 … ${dims.vocab - 1}`);
  const out = programBuilder();
  const H = dims.hidden;
  const F = dims.intermediate;
  const hw = vecWords(p, H);
  const top = emitter(out, null);
  const x = packToWords(w.embed[token]!, p.act_bits, p.host_bits);
  top("host", "weights", `wr_cmem x = embed[${token}]`, { op: "wr_cmem", addr: cmem.x, n: x.length });
  out.send(x);
  let input = cmem.x;
  layout.layers.forEach((g, l) => {
    const e = emitter(out, l);
    const base = layout.attention.layers[l]!;
    rmsnorm(layout, e, input, cmem.xn, (m) => m.attn[l]!, "attention");
    bcastInput(layout, e, cmem.xn, H, "attention norm");
    // K, then Q, then V, back to back: K is gathered while the banks compute Q, Q while they
    // compute V. Under Q run k's RoPE and K appends; under V q's RoPE, q's broadcast (when every
    // head's q goes at once) and the other K appends; V's appends (after v is gathered) under the
    // first score GEMV (scheduleAppends).
    const ropeK = vop("rope", dims.kvDim, cmem.k, cmem.kRope, { pos });
    const ropeQ = vop("rope", H, cmem.q, cmem.qRope, { pos });
    const cost = (i: Instruction): number => instructionCycles(layout.p, layout.derived, i).cycles;
    const qEarly = layout.heads.q !== null;
    const qBcast = qEarly ? cost({ op: "bcast", addr: cmem.qRope, n: vecWords(p, H), bram: layout.bram.q, bank: 0 }) : 0;
    const appends = scheduleAppends(
      layout,
      e,
      [
        { plan: g.q, before: cost(ropeK) + lastGatherCycles(layout, g.k), kOnly: true },
        { plan: g.v, before: lastGatherCycles(layout, g.q) + cost(ropeQ) + qBcast, kOnly: true },
      ],
      base,
      pos,
    );
    weightGemvChain(layout, w, e, [
      { plan: g.k, dst: cmem.k },
      {
        plan: g.q,
        dst: cmem.q,
        during: () => {
          e("intra_controller", "kv", "rope k", ropeK);
          appends.under[0]!();
        },
      },
      {
        plan: g.v,
        dst: cmem.v,
        during: () => {
          e("intra_controller", "kv", "rope q", ropeQ);
          if (qEarly) bcastQ(layout, e);
          appends.under[1]!();
        },
      },
    ]);
    attention(layout, w, e, base, pos, appends.underScores, qEarly);
    bcastInput(layout, e, cmem.attn, layout.attention.attnCols, "attention output");
    // The adds' residual operands go to CRAM while the banks compute O and gate/up.
    const x = input;
    weightGemv(layout, w, e, g.o, cmem.o, () => stageResidual(layout, e, x, "attention"));
    residualAdd(layout, e, cmem.o, input, cmem.resid, "attention", true);
    rmsnorm(layout, e, cmem.resid, cmem.mlpNorm, (m) => m.mlp[l]!, "MLP");
    bcastInput(layout, e, cmem.mlpNorm, H, "MLP norm");
    // gate and up in chunks (Layout.mlp): each chunk's SiLU × up computed, and broadcast into the
    // down GEMV's input, while the banks compute the next chunk.
    const downIn = layout.bram.down;
    weightGemvChain(layout, w, e, [
      {
        plan: g.gate_up,
        dst: cmem.gate,
        during: () => stageResidual(layout, e, cmem.resid, "MLP"),
        afterGather: (k) => {
          for (const pair of layout.mlp.filter((x) => x.chunk === k)) siluTimesUp(layout, w, e, pair, downIn);
        },
      },
    ]);
    if (downIn === null) bcastInput(layout, e, cmem.act, F, "SiLU × up");
    weightGemvChain(layout, w, e, [{ plan: g.down, dst: cmem.down, aBase: downIn ?? layout.bram.x }]);
    residualAdd(layout, e, cmem.down, cmem.resid, cmem.out[l]!, "MLP", true);
    if (opts.readLayers) {
      e("host", "weights", "rd_cmem layer output", { op: "rd_cmem", addr: cmem.out[l]!, n: hw });
      out.read({ what: "layer_output", layer: l, words: hw, elems: H });
    }
    input = cmem.out[l]!;
  });
  rmsnorm(layout, top, input, cmem.finalNorm, (m) => m.final, "final");
  bcastInput(layout, top, cmem.finalNorm, H, "final norm");
  weightGemv(layout, w, top, layout.lmHead, cmem.logits);
  const lw = vecWords(p, dims.vocab);
  top("host", "weights", "rd_cmem logits", { op: "rd_cmem", addr: cmem.logits, n: lw });
  out.read({ what: "logits", layer: null, words: lw, elems: dims.vocab });
  return out.done();
}
