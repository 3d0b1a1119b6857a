// Attention geometry: which banks hold each KV head, where position t's K row and V^T column go,
// and the permutation of head dims the PV gather returns (absorbed into Wo's columns). See the
// header of layout.ts for the design.
import { bankOfSlot, type ChipParams } from "../rtl/chip.js";
import type { AttentionMapping } from "../spec/schema.js";
import type { LoadedSpec } from "../spec/load.js";
import { dieOf, gatherStream } from "./gather-order.js";
import { ceilDiv, roundUp, vecWords } from "./sizes.js";
import { packFits } from "./weight-rows.js";

export interface AttentionGeometry {
  mapping: AttentionMapping;
  /** Banks per KV head (one per die). */
  nd: number;
  /** Per KV head: its banks, slot order (= die order). */
  heads: number[][];
  /** Every attention bank, ascending. */
  banks: number[];
  /** BMEM words of one K row: head_dim / kv_per_word. */
  kRowWords: number;
  /**
   * BMEM words from one K row to the next: kRowWords, or more when the st_bmem that appends a row
   * writes whole bus beats beyond it (a K row shorter than a beat; the score GEMV reads the rows at
   * this pitch, only their kRowWords words).
   */
  kRowPitch: number;
  /** K rows per bank (for context_len positions). */
  kRows: number;
  /** V^T rows per bank: head_dim / nd. */
  vRows: number;
  /**
   * The V append in one st_vt (spread = L: banks 0 .. L-1 of every die, S = kvHeads × nd = L × dies
   * slots, each die writing its L banks' fields in the same cycle), or 0: one st_vt a bank. With a
   * spread, the V GEMV's output comes out in the append's order (vOrder): element j × S + s is dim
   * j of slot s's rows (slot s = the s-th bank dealt: head floor(s / nd), dims from (s mod nd) × vRows).
   */
  vSpread: number;
  /** With vSpread: the natural row of v (head × head_dim + dim) at each output position; else null. */
  vOrder: number[] | null;
  /** V^T columns (positions) per row: context_len rounded up to kv_per_word. */
  vCols: number;
  vRowWords: number;
  /**
   * The PV GEMV packs its results (gemv pack): each bank's d / nd outputs follow the previous
   * bank's in the gather's words rather than starting a word of their own (when a bank's part is
   * not whole bus words, and the packers hold it).
   */
  pvPack: boolean;
  /**
   * CMEM words of one PV gather: every attention bank at once, the outputs of one member of each
   * query group (query heads g × group + i for every KV head g), in the gather's order.
   */
  pvWords: number;
  /** Length of the attention vector (Wo's input): group × pvWords × host_elems. */
  attnCols: number;
  /**
   * Every KV head's rank in die order (the die of its first bank, then the bank): the score
   * regions are laid out in this order, so that one gather of a die's banks (bank_per_head)
   * fills its heads' regions back to back.
   */
  scoreRank: number[];
  /** Per attention-vector element: the natural column of Wo (h × head_dim + dim), or -1 (a pad). */
  woColMap: number[];
}

export interface AttentionPlan extends AttentionGeometry {
  /** Per layer: BMEM bases of the K rows and the V^T rows (every attention bank). */
  layers: { k: number; v: number }[];
  /** BMEM region zero-filled at load in every attention bank (the whole KV cache). */
  zero: { base: number; words: number };
}

/** Score GEMV rows per attention bank at n positions. */
export function scoreRows(p: ChipParams, nd: number, n: number): number {
  const pw = p.bus.per_word;
  return pw * ceilDiv(ceilDiv(n, pw), nd);
}

/** Where position t's K row is: its slot among the head's banks and its local row. */
export function kSlot(p: ChipParams, nd: number, t: number): { slot: number; row: number } {
  const pw = p.bus.per_word;
  const b = Math.floor(t / pw);
  return { slot: b % nd, row: Math.floor(b / nd) * pw + (t % pw) };
}

/** Banks per KV head: 1, or min(banks_per_head, dies) lowered to a divisor of head_dim. */
function banksPerKvHead(loaded: LoadedSpec, p: ChipParams, headDim: number): number {
  if (loaded.derived.mapping === "bank_per_head") return 1;
  let nd = Math.max(1, Math.min(loaded.derived.banks_per_head, p.dies));
  while (headDim % nd !== 0) nd--;
  return nd;
}

/** The banks of each KV head: banks dealt round-robin over the dies, nd consecutive ones a head, in die order. */
function headBanks(p: ChipParams, kvHeads: number, nd: number): number[][] {
  const dealt = Array.from({ length: p.banks }, (_, i) => bankOfSlot(p, i));
  return Array.from({ length: kvHeads }, (_, g) => dealt.slice(g * nd, (g + 1) * nd).sort((a, b) => dieOf(p, a) - dieOf(p, b)));
}

export interface AttentionDims {
  heads: number;
  kvHeads: number;
  headDim: number;
  group: number;
  contextLen: number;
}

/** The attention geometry; `fail` throws the UserError for a spec it cannot serve. */
export function planAttention(loaded: LoadedSpec, p: ChipParams, dims: AttentionDims, maxRows: number, fail: (msg: string) => never): AttentionGeometry {
  const d = dims.headDim;
  const ab = p.act_bits;
  const hb = p.host_bits;
  const kvpw = p.bank.kv_per_word;
  const headDimField = "model.hidden_size / model.num_attention_heads (head_dim)";
  if ((d * ab) % hb !== 0) {
    fail(`${headDimField} = ${d}: a head's ${d} activations (${d * ab} bits) must be whole chip.controller.mem_bits (${hb}) words: q of one head is broadcast, and its k row appended, from a CMEM word`);
  }
  const kRowBits = d * p.bank.kv_bits;
  if (kRowBits % p.bank.read_bits !== 0) {
    fail(`${headDimField} = ${d}: a K row (${kRowBits} bits of numerics.kv_bits) must be whole BMEM words (chip.bank.read_bits ${p.bank.read_bits}): st_bmem appends it from CMEM`);
  }
  // The BMEM words the append writes: whole beats (a beat split into BMEM words), or whole words.
  const beats = Math.ceil((d * ab) / p.bus.bcast_bits);
  const written = p.bus.bmem_split > 1 ? beats * p.bus.bmem_split : Math.ceil((beats * p.bus.bcast_bits) / p.bank.read_bits);
  const kRowPitch = Math.max(kRowBits / p.bank.read_bits, written);
  const nd = banksPerKvHead(loaded, p, d);
  const vRows = d / nd;
  if (dims.kvHeads * nd > p.banks) fail(`model.num_key_value_heads: ${dims.kvHeads} KV heads × ${nd} banks do not fit ${p.banks} banks`);
  const C = dims.contextLen;
  const kRows = scoreRows(p, nd, C);
  if (kRows > maxRows) fail(`workload.context_len (${C}): the score GEMV runs ${kRows} rows per bank at the full context, more than a result packer holds (${maxRows})`);
  if (vRows > maxRows) fail(`${headDimField}: the PV GEMV runs ${vRows} rows per bank, more than a result packer holds (${maxRows})`);
  const vCols = roundUp(C, kvpw);
  const heads = headBanks(p, dims.kvHeads, nd);
  const banks = heads.flat().sort((a, b) => a - b);
  // One PV gather of every attention bank per member i of the query groups; its order is absorbed
  // into Wo's columns.
  // Packed when that is shorter and loses no result (a die's attention banks follow one another).
  const plain = gatherStream(p, banks, vRows);
  const packed = gatherStream(p, banks, vRows, true);
  const pvPack = packed.length < plain.length && packFits(p, vRows, 1) && packed.filter((s) => s !== null).length === banks.length * vRows;
  const pvStream = pvPack ? packed : plain;
  const pvWords = vecWords(p, pvStream.length);
  const attnCols = dims.group * pvWords * p.host_elems;
  const headOf = new Map(heads.flatMap((bs, g) => bs.map((b) => [b, g] as const)));
  const woColMap = Array.from({ length: attnCols }, () => -1);
  for (let i = 0; i < dims.group; i++) {
    pvStream.forEach((slot, e) => {
      if (slot === null) return;
      const g = headOf.get(slot.bank)!;
      woColMap[i * pvWords * p.host_elems + e] = (g * dims.group + i) * d + heads[g]!.indexOf(slot.bank) * vRows + slot.row;
    });
  }
  // The V append in one st_vt when the slots fill whole dies (L banks each) and whole beats.
  const S = dims.kvHeads * nd;
  const L = S / p.dies;
  const fpb = p.bus.bcast_bits / p.bank.kv_bits;
  const vSpread = Number.isInteger(L) && L >= 1 && L <= p.banks_per_die && fpb % S === 0 && p.bank.kv_bits === ab && dims.kvHeads * d < 2 ** p.vt_nw ? L : 0;
  const vOrder = vSpread
    ? Array.from({ length: dims.kvHeads * d }, (_, e) => {
        const j = Math.floor(e / S);
        const s = e % S;
        return Math.floor(s / nd) * d + (s % nd) * vRows + j;
      })
    : null;
  // Without a spread, one st_vt a bank takes its fields from a CMEM word of its own.
  if (!vSpread && (vRows * ab) % hb !== 0) {
    fail(
      `workload.banks_per_head: ${nd} banks per KV head (one per die, chip.dies = ${p.dies}) give each ${vRows} of the ${d} head dims, ${vRows * ab} bits of v, not whole chip.controller.mem_bits (${hb}) words: st_vt takes its fields from a CMEM word`,
    );
  }
  const byDie = heads.map((_, g) => g).sort((a, b) => heads[a]![0]! - heads[b]![0]!);
  const scoreRank = heads.map((_, g) => byDie.indexOf(g));
  return {
    mapping: loaded.derived.mapping,
    nd,
    heads,
    banks,
    kRowWords: kRowBits / p.bank.read_bits,
    kRowPitch,
    kRows,
    vRows,
    pvPack,
    vCols,
    vRowWords: vCols / kvpw,
    pvWords,
    attnCols,
    scoreRank,
    vSpread,
    vOrder,
    woColMap,
  };
}
