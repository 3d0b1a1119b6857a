// Attention of every query head at one position: q broadcast, score GEMV, score gathers (per die
// set, heads in lockstep), requant and softmax, p broadcast, PV GEMV and its gather. The layout it
// runs on is attention-layout.ts's and layout.ts's.
import type { LlamaWeights } from "../../sim/golden/llama-weights.js";
import type { Instruction } from "../rtl/chip.js";
import { scoreRows } from "./attention-layout.js";
import { vop, type Emit } from "./emit.js";
import { bankMask, dieOf, gatherStream } from "./gather-order.js";
import type { Layout } from "./layout.js";
import { vecWords } from "./sizes.js";

/** Every query head's q (after RoPE) in one broadcast (Layout.heads.q: each bank takes its own head's). */
export function bcastQ(layout: Layout, e: Emit): void {
  e("controller_bank", "kv", "bcast q (every head)", qBcastInstr(layout));
}

/** The broadcast of every query head's q (after RoPE) into the BRAM q region. */
export function qBcastInstr(layout: Layout): Instruction {
  const { p, cmem, bram, dims } = layout;
  return { op: "bcast", addr: cmem.qRope, n: vecWords(p, dims.heads * dims.headDim), bram: bram.q, bank: 0 };
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
