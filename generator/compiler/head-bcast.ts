// Attention's per-head vectors in one broadcast each: every query head's q (after RoPE) and every KV
// head's probabilities go to every bank's BRAM at once, and each bank takes its own head's vector
// with gemv's per-bank activations (a_slice, hsh, hstep; generator/rtl/chip.ts): bank b starts
// (slot_b >> hsh) << (hstep - 1) MAC beats past the GEMV's first, slot_b being b's place in the
// round-robin dealing of banks to heads (attention-layout.ts headBanks), so slot_b >> log2(nd) is
// b's KV head. This replaces one broadcast per head and bank (each paying the bus's λ) by one.
//
// It needs the offsets to be powers of two: nd banks a head (hsh = log2 nd), a query group's q
// (group × head_dim / lanes MAC beats) and a head's probability region (probWords CMEM words, whole
// MAC beats). Otherwise, or when the BRAM cannot hold every head's vectors, the compiler broadcasts
// per head and bank as before.
import type { ChipParams } from "../rtl/chip.js";

/** The per-bank activation fields of a GEMV that takes one head's vector out of all of them. */
export interface HeadVectors {
  hsh: number;
  hstep: number;
  /** MAC beats of one vector (a query head's q; a KV head's probability region). */
  beatsPerHead: number;
}

export interface HeadBcast {
  /** Every query head's q in one broadcast (null: one per head and bank). */
  q: HeadVectors | null;
  /** Every KV head's probabilities in one broadcast (null: one per head and bank). */
  p: HeadVectors | null;
}

/** log2 of n when n is a power of two (1, 2, 4, …), else null. */
function log2(n: number): number | null {
  if (!Number.isInteger(n) || n < 1) return null;
  const k = Math.round(Math.log2(n));
  return 2 ** k === n ? k : null;
}

/**
 * The plan for q (heads × headDim elements, query head h at element h × headDim) and for the
 * probabilities (kvHeads regions of probWords CMEM words, head g's at g × probWords).
 */
export function planHeadBcast(p: ChipParams, nd: number, dims: { headDim: number; group: number }, probWords: number): HeadBcast {
  const hsh = log2(nd);
  if (hsh === null || hsh >= 2 ** p.hsh_w) return { q: null, p: null };
  const beat = p.bank.lanes * p.act_bits;
  const fits = (k: number | null): k is number => k !== null && k + 1 < 2 ** p.hstep_w;
  const vectors = (beatsPerHead: number, step: number): HeadVectors | null => {
    const k = log2(step);
    return Number.isInteger(beatsPerHead) && fits(k) ? { hsh, hstep: k + 1, beatsPerHead } : null;
  };
  // q: KV head g's banks take query head g × group + i (member i: a first-beat offset of i heads).
  const qBeats = dims.headDim / p.bank.lanes;
  const pBeats = (probWords * p.host_bits) / beat;
  return {
    q: Number.isInteger(qBeats) ? vectors(qBeats, dims.group * qBeats) : null,
    p: Number.isInteger(pBeats) ? vectors(pBeats, pBeats) : null,
  };
}
