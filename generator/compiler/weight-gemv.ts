// Weight GEMVs from the banks' BRAM input: a decode GEMV's chunks back to back, each gathered
// (gather prev) while the banks compute the next, the work the caller puts under them; a prefill
// GEMM chunk by chunk, each vector gathered by tok.
import type { LlamaWeights } from "../../sim/golden/llama-weights.js";
import { packedBank } from "../model/cycles-bus.js";
import { instructionCycles } from "../model/cycles-chip.js";
import type { Emit } from "./emit.js";
import { allBanks, bankMask } from "./gather-order.js";
import { gemvShift } from "./images.js";
import type { GemvPlan, Layout } from "./layout.js";
import type { GemvChunk } from "./weight-rows.js";

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
    const what = chunkName(plan, ch);
    e("intra_bank_weights", "weights", `gemm ${what} × ${dsts.length} tokens`, { ...chunkGemv(w, plan, ch, all), a_base: gemm.base, batch: dsts.length, a_stride: gemm.stride });
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
      what: chunkName(job.plan, ch),
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
    e("intra_bank_weights", "weights", `gemv ${u.what}`, { ...chunkGemv(w, u.job.plan, u.ch, all), a_base: u.job.aBase ?? layout.bram.x });
    if (before && overlap) gather(before, true);
    if (u.last) u.job.during?.();
  });
  const end = units[units.length - 1];
  if (end) gather(end, false);
}

/** The controller cycles of the gather of a plan's last chunk (the compiler's budget for a window). */
export function lastGatherCycles(layout: Layout, plan: GemvPlan): number {
  const ch = plan.chunks[plan.chunks.length - 1]!;
  return instructionCycles(layout.p, layout.derived, { op: "gather", mask: bankMask(allBanks(layout.p)), addr: 0 }, ch.rows, plan.pack).cycles;
}

/** A chunk's name in the tags: the GEMV's, with its rows when it has several chunks. */
function chunkName(plan: GemvPlan, ch: GemvChunk): string {
  return plan.chunks.length > 1 ? `${plan.name} rows ${ch.first}…${ch.first + ch.rows - 1}` : plan.name;
}

/** The gemv fields of one chunk of a weight GEMV (its input, and a GEMM's batch, are the caller's). */
function chunkGemv(w: LlamaWeights, plan: GemvPlan, ch: GemvChunk, mask: bigint) {
  return { op: "gemv", rows: ch.rows, cols: plan.cols, w_base: plan.wBase + ch.first * plan.wpr, shift: gemvShift(w, plan), kv: 0, mask, pack: plan.pack ? 1 : 0 } as const;
}
