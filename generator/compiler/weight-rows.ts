// Placement of a weight GEMV's rows (1-D row partitioning over every bank, seed 2.2): R rows per
// bank, natural row s in the slot whose gathered stream index is s, rows past N zero; run as
// chunks of at most the rows a bank's result packer holds, each gathered before the next runs.
// The GEMVs use element packing (gemv pack, see gather-order.ts): a die's banks' results come back
// element by element, so R = ceil(N / banks) (rounded up so that a die's results fill whole bus
// words) instead of a whole bus word of rows per bank: on the bench's 128 banks × 64-element
// words, a 4096-row GEMV runs 32 rows a bank, not 64. Without packing (a result packer too small
// for the extra word a bank's unaligned first result may take) R is whole bus words.
// Two matrices with the same input and shift may run as one GEMV (gate and up): their rows
// stacked, the second from a whole CMEM word (zero rows between), so that each part's output is a
// vector of its own in CMEM: one gemv and one gather instead of two, and (without element packing)
// rows padded to whole bus words once, not twice. K and V run as two GEMVs (the decode step runs
// K, Q, V and overlaps each gather with the next: step-program.ts). A decode layout cuts gate and
// up into chunks of the same intermediate elements (mlpChunking) so that SiLU × up of one chunk
// runs while the banks compute the next.
import { packedBank } from "../model/cycles-bus.js";
import type { ChipParams } from "../rtl/chip.js";
import { allBanks, gatherStream } from "./gather-order.js";
import { ceilDiv, gcd, lcm, roundUp, vecWords } from "./sizes.js";

/** A weight matrix of the model. */
export type MatrixName = "q" | "k" | "v" | "o" | "gate" | "up" | "down" | "lm_head";
/** A weight GEMV: one matrix, or gate and up stacked. */
export type GemvName = MatrixName | "gate_up";

/** Rows [first, first + rows) of a GEMV's output are the rows of `matrix` (row `order[i]` at first + i when given). */
export interface GemvPart {
  matrix: MatrixName;
  first: number;
  rows: number;
  order?: readonly number[];
}

/** One gemv instruction of a weight GEMV and the gather that follows it. */
export interface GemvChunk {
  /** Rows each bank runs. */
  rows: number;
  /** Local row (in every bank) of its first row. */
  first: number;
  /** CMEM word offset of its results from the GEMV's output base. */
  outWord: number;
}

export interface GemvPlan {
  name: GemvName;
  layer: number | null;
  /** The matrices whose rows it computes, in output order (one, or two stacked). */
  parts: GemvPart[];
  /** Natural output rows N (the last part's end; rows between parts are zero rows). */
  rows: number;
  /** Columns the banks read: the length of the input vector in BRAM. */
  cols: number;
  /** Per column: the natural column of the weight matrix, or -1 (a zero weight). */
  colMap: number[];
  /**
   * Rows per bank R: with packing ceil(N / banks) rounded up to a multiple of per_word /
   * gcd(per_word, banks_per_die); without, per_word × ceil(N / (banks × per_word)).
   */
  rowsPerBank: number;
  /** Element packing of the gathers (gemv pack). */
  pack: boolean;
  /** [bank][local row]: the natural row held there, or -1 (a zero row). */
  rowMap: number[][];
  chunks: GemvChunk[];
  /** BMEM word of local row 0 (every bank). */
  wBase: number;
  /** BMEM words per row. */
  wpr: number;
  /** CMEM words the gathers write (natural rows, then zeros). */
  outWords: number;
}

/** A layer's GEMVs: gate and up as one (gate_up). */
export interface LayerGemvs {
  q: GemvPlan;
  k: GemvPlan;
  v: GemvPlan;
  o: GemvPlan;
  gate_up: GemvPlan;
  down: GemvPlan;
}

/**
 * The parts of a GEMV of these matrices (rows each), stacked in order: each part from the first
 * row at or after the previous part's end whose output starts a CMEM word.
 */
export function stackParts(p: ChipParams, matrices: readonly (readonly [MatrixName, number])[]): GemvPart[] {
  const align = lcm(p.act_bits, p.host_bits) / p.act_bits;
  let next = 0;
  return matrices.map(([matrix, rows]) => {
    const first = roundUp(next, align);
    next = first + rows;
    return { matrix, first, rows };
  });
}

/** The CMEM word (from the GEMV's output base) where a part's vector starts. */
export function partWord(p: ChipParams, plan: GemvPlan, matrix: MatrixName): number {
  const part = plan.parts.find((x) => x.matrix === matrix);
  if (!part) throw new Error(`compiler: the ${plan.name} GEMV has no ${matrix} rows`);
  return (part.first * p.act_bits) / p.host_bits;
}

/**
 * Rows a gemv may run per bank: what a result packer holds, whole bus words: at most max_count
 * results, and for a GEMM of `batch` vectors ceil(rows / per_word) × batch ≤ fifo_depth words.
 */
export function packerRows(p: ChipParams, batch = 1): number {
  const pw = p.bus.per_word;
  return pw * Math.min(Math.floor(p.bus.max_count / pw), Math.floor(p.bus.fifo_depth / batch));
}

/** Chunk sizes of R rows a bank: maxRows each, the rest last. */
function chunkSizes(R: number, maxRows: number): number[] {
  const sizes: number[] = [];
  for (let first = 0; first < R; first += maxRows) sizes.push(Math.min(maxRows, R - first));
  return sizes;
}

/**
 * Whether a gemv of n rows a bank with element packing fits the packers: bank k of a die holds
 * packedBank(…, n, k, true).words per vector, batch vectors.
 */
export function packFits(p: ChipParams, n: number, batch: number): boolean {
  for (let k = 0; k < p.banks_per_die; k++) {
    if (packedBank(p.bus.per_word, n, k, true).words * batch > p.bus.fifo_depth) return false;
  }
  return true;
}

/**
 * The rows of a GEMV of `rows` outputs × `cols` inputs over every bank (wBase to be set by the BMEM
 * allocation); `batch`: the GEMM vectors the packers must hold (prefill's tile).
 */
export function placeWeightRows(
  p: ChipParams,
  maxRows: number,
  name: GemvName,
  layer: number | null,
  parts: GemvPart[],
  cols: number,
  colMap: number[],
  fail: (msg: string) => never,
  batch = 1,
  chunkRows?: readonly number[],
): GemvPlan {
  const pw = p.bus.per_word;
  const banks = allBanks(p);
  const last = parts[parts.length - 1]!;
  const rows = last.first + last.rows;
  // Packed: a die's results fill whole words (no pad inside the interleaved stream).
  const packedR = roundUp(ceilDiv(rows, p.banks), pw / gcd(pw, p.banks_per_die));
  const sizes = chunkRows ?? chunkSizes(packedR, maxRows);
  const pack = sizes.every((n) => n <= maxRows && packFits(p, n, batch));
  if (chunkRows && (!pack || chunkRows.reduce((s, n) => s + n, 0) !== packedR)) throw new Error(`compiler: chunks of ${chunkRows.join(", ")} rows do not make the ${name} GEMV's ${packedR} packed rows a bank`);
  const R = pack ? packedR : pw * ceilDiv(rows, p.banks * pw);
  const chunks: GemvChunk[] = [];
  const rowMap = banks.map(() => Array.from({ length: R }, () => -1));
  let first = 0;
  let offset = 0;
  const next = [...(chunkRows ?? [])];
  while (first < R) {
    const n = next.shift() ?? Math.min(maxRows, R - first);
    if ((offset * p.act_bits) % p.host_bits !== 0) {
      fail(
        `chip.controller.mem_bits: the ${name} GEMV runs ${R} rows per bank as GEMVs of at most ${maxRows} rows (a result packer's), and a chunk's first result (${offset}) is not at a whole ${p.host_bits}-bit CMEM word, so the chunks would not be contiguous in CMEM`,
      );
    }
    chunks.push({ rows: n, first, outWord: (offset * p.act_bits) / p.host_bits });
    const stream = gatherStream(p, banks, n, pack);
    stream.forEach((slot, j) => {
      const s = offset + j;
      if (slot !== null && s < rows) rowMap[slot.bank]![first + slot.row] = s;
    });
    offset += stream.length;
    first += n;
  }
  return {
    name,
    layer,
    parts,
    rows,
    cols,
    colMap,
    rowsPerBank: R,
    pack,
    rowMap,
    chunks,
    wBase: 0,
    wpr: ceilDiv(cols, p.bank.weights_per_word),
    outWords: vecWords(p, p.banks * R),
  };
}

/**
 * The decode's MLP in chunks (gate and up rows of the same intermediate indices together), so that
 * each chunk's SiLU × up runs while the banks compute the next: the intermediate elements of each
 * chunk (a range, in order), or null when the rows do not split exactly. Chunk j runs n_j =
 * 2 |I_j| / banks rows a bank, a multiple of per_word / gcd(per_word, banks_per_die) (its packed
 * results fill whole words: its gather returns gate then up, no pad) and at most maxRows; every
 * chunk but the last holds whole CMEM words and whole BRAM words of SiLU × up (each is broadcast
 * into the down GEMV's input on its own); 2F must be whole rows of every bank.
 */
export function mlpChunking(p: ChipParams, F: number, maxRows: number, parts = 4): number[] | null {
  const B = p.banks;
  const pw = p.bus.per_word;
  const u = pw / gcd(pw, p.banks_per_die);
  const he = p.host_elems;
  const bramElems = (p.bus.bcast_bits * p.bus.bram_r) / p.act_bits;
  if (!Number.isInteger(bramElems) || (2 * F) % (B * u) !== 0) return null;
  const q = (B * u) % 2 === 0 ? (B * u) / 2 : B * u;
  const g = lcm(lcm(he, bramElems), q);
  const units = Math.floor(F / g);
  const rest = F - units * g;
  if (units < 2 || rest % he !== 0) return null;
  const m = Math.min(parts, units);
  const sizes = Array.from({ length: m }, (_, j) => (Math.floor(units / m) + (j < units % m ? 1 : 0)) * g);
  sizes[m - 1]! += rest;
  return sizes.every((s) => (2 * s) / B <= maxRows) ? sizes : null;
}

/** One chunk's share of the MLP: its gate and up vectors in the gate_up GEMV's output, their intermediate indices. */
export interface MlpPair {
  /** CMEM words from the GEMV's output base to its gate vector, and to its up vector. */
  gateWord: number;
  upWord: number;
  /** Intermediate index of its first element; its elements. */
  first: number;
  elems: number;
  /** The GEMV chunk whose gather completes it. */
  chunk: number;
}

/** The MLP pairs of a gate_up plan: its parts taken two by two (gate, up), each the chunk of the same index, or (one pair) the last chunk. */
export function mlpPairs(p: ChipParams, plan: GemvPlan): MlpPair[] {
  const pairs: MlpPair[] = [];
  for (let i = 0; i + 1 < plan.parts.length; i += 2) {
    const gate = plan.parts[i]!;
    const up = plan.parts[i + 1]!;
    if (gate.matrix !== "gate" || up.matrix !== "up" || gate.rows !== up.rows) throw new Error(`compiler: the ${plan.name} GEMV's parts are not gate and up pairs`);
    const first = gate.order ? gate.order[0]! : 0;
    pairs.push({ gateWord: (gate.first * p.act_bits) / p.host_bits, upWord: (up.first * p.act_bits) / p.host_bits, first, elems: gate.rows, chunk: 0 });
  }
  const chunked = pairs.length > 1;
  if (chunked && pairs.length !== plan.chunks.length) throw new Error(`compiler: ${pairs.length} MLP pairs in ${plan.chunks.length} chunks`);
  return pairs.map((x, j) => ({ ...x, chunk: chunked ? j : plan.chunks.length - 1 }));
}
