// Golden model of <name>_bank's GEMV, bit-exact: BMEM/BRAM layout, the sequencer's beat order and
// read edges, masking of padding, the MAC array's wrap-around, and read-during-write (read-first).
// Both modes: weight rows (weight_bits fields) and, with `kv`, KV rows (kv_bits fields; a beat
// wider than a BMEM word reads its words at consecutive edges), and the GEMM (`batch` activation
// vectors against the same rows: each beat's weights read once and issued once per vector).
import type { BankParams } from "../../generator/rtl/params.js";
import { DpramModel } from "./dpram.js";
import { macDot, packFields, signedField, type Beat, type Dot } from "./mac.js";

export interface GemvCommand {
  /** BMEM word of row 0's first weights. */
  w_base: number;
  /** BRAM word of the first activations. */
  a_base: number;
  /** MAC beat (slice) of that word where they start (cmd_a_slice); 0 or left out: the word's first. */
  a_slice?: number;
  rows: number;
  cols: number;
  /** KV mode (cmd_kv = 1): rows of kv_bits fields. Default false: weight_bits fields. */
  kv?: boolean;
  /** BMEM words from one row's start to the next (cmd_pitch); 0 or left out: packed rows. */
  pitch?: number;
  /** GEMM (cmd_batch): activation vectors; 1 or left out: a GEMV. Weight mode only (taken as 1 with `kv`). */
  batch?: number;
  /** GEMM (cmd_a_stride): BRAM words from one vector's start to the next. */
  a_stride?: number;
}

/** Activation vectors of a command: cmd_batch, 0 taken as 1, and 1 in KV mode (as the RTL does). */
export function batchOf(cmd: GemvCommand): number {
  return cmd.kv ? 1 : Math.max(1, cmd.batch ?? 1);
}

/** A bank's two memories, as golden models. */
export interface BankMemories {
  bmem: DpramModel;
  bram: DpramModel;
}

export function bankMemories(p: BankParams): BankMemories {
  return {
    bmem: new DpramModel("BMEM", p.read_bits, p.bmem_depth),
    bram: new DpramModel("BRAM", p.bram_width, p.bram_depth),
  };
}

/** Fields per BMEM word of a row: weights, or KV elements with `kv`. */
export function fieldsPerWord(p: BankParams, kv = false): number {
  return kv ? p.kv_per_word : p.weights_per_word;
}

/** BMEM words per row: rows are padded to whole words (of weights, or of KV fields with `kv`). */
export function wordsPerRow(p: BankParams, cols: number, kv = false): number {
  return Math.ceil(cols / fieldsPerWord(p, kv));
}

/** Beats per row: one beat is `lanes` columns (a masked beat when cols = 0). */
export function beatsPerRow(p: BankParams, cols: number): number {
  return Math.max(1, Math.ceil(cols / p.lanes));
}

/** BRAM words per row: bram_slices MAC beats of activations per word. */
export function bramWordsPerRow(p: BankParams, cols: number): number {
  return Math.ceil(beatsPerRow(p, cols) / p.bram_slices);
}

/** One beat as the sequencer issues it: which words it reads. */
export interface BeatRead {
  row: number;
  beat: number;
  /** BMEM word of the beat (its first word when a KV beat spans several). */
  bmem_addr: number;
  /** BMEM words the beat reads, bmem_addr onward, one per cycle (1 but for KV beats wider than a word). */
  bmem_words: number;
  /** Beat within the BMEM word. */
  sub: number;
  bram_addr: number;
  /** MAC beat (slice) within the BRAM word. */
  bram_slice: number;
  /** GEMM: the activation vector of this issue (0 for a GEMV). */
  tok: number;
  /** Read slot of the BMEM word(s) the beat uses: its own slot, or for a GEMM's vectors after the first, the first vector's (the word is held). */
  bmem_slot: number;
  /** Columns of this beat that take part (the rest is masked). */
  valid_lanes: number;
  /** Read cycle of the beat's first BMEM word, counted from 0 for the command's first read. */
  slot: number;
}

/**
 * The beats of a GEMV in issue order. The command's BMEM reads are one per cycle: read slot s is
 * at edge accept + 1 + s when nothing stalls. A beat reads its BMEM words at slots slot ..
 * slot + bmem_words - 1 and its BRAM word with the last of them. In weight mode (and in KV mode
 * when a beat fits in a word) slot = the beat's index. A GEMM issues each beat once per vector
 * (tok 0 .. batch - 1, a slot each); only tok 0 reads BMEM, the others use that word (bmem_slot).
 */
export function gemvBeats(p: BankParams, cmd: GemvCommand): BeatRead[] {
  const kv = cmd.kv ?? false;
  const beats = beatsPerRow(p, cmd.cols);
  const perWord = kv ? p.kv_beats_per_word : p.beats_per_word;
  const wordsPerBeat = kv ? p.kv_words_per_beat : 1;
  const fpw = fieldsPerWord(p, kv);
  const out: BeatRead[] = [];
  let w = cmd.w_base;
  let slot = 0;
  for (let row = 0; row < cmd.rows; row++) {
    if ((cmd.pitch ?? 0) > 0) w = cmd.w_base + row * cmd.pitch!;
    for (let beat = 0; beat < beats; beat++) {
      const sub = beat % perWord;
      const valid_lanes = Math.max(0, Math.min(p.lanes, cmd.cols - beat * p.lanes));
      // A multi-word beat reads only the words that hold its columns (at least one).
      const bmem_words = wordsPerBeat === 1 ? 1 : Math.max(1, Math.ceil(valid_lanes / fpw));
      const bmem_slot = slot;
      for (let tok = 0; tok < batchOf(cmd); tok++) {
        out.push({
          row,
          beat,
          bmem_addr: w,
          bmem_words,
          sub,
          bram_addr: cmd.a_base + tok * (cmd.a_stride ?? 0) + Math.floor(((cmd.a_slice ?? 0) + beat) / p.bram_slices),
          bram_slice: ((cmd.a_slice ?? 0) + beat) % p.bram_slices,
          tok,
          bmem_slot,
          valid_lanes,
          slot,
        });
        slot += bmem_words;
      }
      // The next beat moves to a new word after the word's last beat and after a row's last beat.
      if (wordsPerBeat > 1) w += bmem_words;
      else if (beat === beats - 1 || sub === perWord - 1) w++;
    }
  }
  return out;
}

/** Sequencer cycles of a GEMV (a BMEM word read, or a GEMM's held word issued again): the stream term of its cycles. */
export function gemvReadSlots(p: BankParams, cmd: GemvCommand): number {
  return gemvBeats(p, cmd).reduce((n, b) => n + b.bmem_words, 0);
}

/**
 * The GEMV's results, in the order the bank delivers them: row by row (a GEMM: row 0 for vectors
 * 0 .. batch - 1, then row 1, ...). `readEdge(s)` is the edge of read slot s (accept + 1 + s when
 * nothing stalls; see gemvBeats); each read sees the memories as the read-first rule says. Throws
 * when a lane that takes part reads a word never written (the RTL would use uninitialised state).
 */
export function bankGemv(p: BankParams, mem: BankMemories, cmd: GemvCommand, readEdge: (slot: number) => number): Dot[] {
  const kv = cmd.kv ?? false;
  const bits = kv ? p.kv_bits : p.weight_bits;
  const fpw = fieldsPerWord(p, kv);
  const batch = batchOf(cmd);
  const rows: Beat[][] = Array.from({ length: cmd.rows * batch }, () => []);
  for (const b of gemvBeats(p, cmd)) {
    const mask = Array.from({ length: p.lanes }, (_, i) => i < b.valid_lanes);
    const words = Array.from({ length: b.bmem_words }, (_, k) => mem.bmem.readAt(readEdge(b.bmem_slot + k), b.bmem_addr + k));
    const acts = mem.bram.readAt(readEdge(b.slot + b.bmem_words - 1), b.bram_addr);
    const weights: bigint[] = [];
    for (let i = 0; i < p.lanes; i++) {
      // Lane i: field sub × lanes + i of the beat's words taken as one little-endian bit string.
      const f = b.sub * p.lanes + i;
      const k = Math.floor(f / fpw);
      const word = k < words.length ? words[k] : undefined;
      if (i < b.valid_lanes && word === undefined) {
        throw new Error(`golden bank: row ${b.row} beat ${b.beat} reads BMEM word ${b.bmem_addr + k}, never written`);
      }
      weights.push(word === undefined ? 0n : signedField(word, f % fpw, bits));
    }
    if (b.valid_lanes > 0 && acts === undefined) {
      throw new Error(`golden bank: row ${b.row} beat ${b.beat} reads BRAM word ${b.bram_addr}, never written`);
    }
    rows[b.row * batch + b.tok]!.push({
      weights,
      activations: Array.from({ length: p.lanes }, (_, i) => (acts === undefined ? 0n : signedField(acts, b.bram_slice * p.lanes + i, p.act_bits))),
      mask,
    });
  }
  return rows.map((beats) => macDot(beats, p.acc_bits));
}

/**
 * A row of weights (with `kv`: of KV elements, kv_bits fields) as BMEM words; padding fields past
 * the row hold `pad` values (any: they are masked).
 */
export function packWeightRow(p: BankParams, weights: readonly bigint[], pad: () => bigint, kv = false): bigint[] {
  const words: bigint[] = [];
  const fpw = fieldsPerWord(p, kv);
  for (let w = 0; w < wordsPerRow(p, weights.length, kv); w++) {
    const fields = Array.from({ length: fpw }, (_, i) => weights[w * fpw + i] ?? pad());
    words.push(packFields(fields, kv ? p.kv_bits : p.weight_bits));
  }
  return words;
}

/**
 * The activation vector as BRAM words (bram_slices × lanes activations each); padding as for
 * packWeightRow. With `slice`, the vector starts at MAC beat `slice` of the first word (the fields
 * before it are padding too).
 */
export function packActivations(p: BankParams, acts: readonly bigint[], pad: () => bigint, slice = 0): bigint[] {
  const words: bigint[] = [];
  const per = p.bram_slices * p.lanes;
  const skip = slice * p.lanes;
  for (let w = 0; w < Math.ceil((skip + Math.max(1, acts.length)) / per); w++) {
    const fields = Array.from({ length: per }, (_, i) => (w * per + i >= skip ? acts[w * per + i - skip] : undefined) ?? pad());
    words.push(packFields(fields, p.act_bits));
  }
  return words;
}

/** Reference: the same GEMV straight from matrices, no memories (checks the layout helpers). */
export function gemvReference(weights: readonly (readonly bigint[])[], acts: readonly bigint[], accBits: number): Dot[] {
  return weights.map((row) =>
    macDot([{ weights: row, activations: acts, mask: row.map(() => true) }], accBits),
  );
}
