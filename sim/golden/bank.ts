// Golden model of <name>_bank's GEMV, bit-exact: BMEM/BRAM layout, the sequencer's beat order and
// read edges, masking of padding, the MAC array's wrap-around, and read-during-write (read-first).
import type { BankParams } from "../../generator/rtl/params.js";
import { DpramModel } from "./dpram.js";
import { macDot, packFields, signedField, type Beat, type Dot } from "./mac.js";

export interface GemvCommand {
  /** BMEM word of row 0's first weights. */
  w_base: number;
  /** BRAM word of the first activations. */
  a_base: number;
  rows: number;
  cols: number;
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

/** BMEM words per row: rows are padded to whole words. */
export function wordsPerRow(p: BankParams, cols: number): number {
  return Math.ceil(cols / p.weights_per_word);
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
  bmem_addr: number;
  /** Beat within the BMEM word. */
  sub: number;
  bram_addr: number;
  /** MAC beat (slice) within the BRAM word. */
  bram_slice: number;
  /** Columns of this beat that take part (the rest is masked). */
  valid_lanes: number;
}

/** The beats of a GEMV in issue order: beat j is read at edge accept + 1 + j. */
export function gemvBeats(p: BankParams, cmd: GemvCommand): BeatRead[] {
  const beats = beatsPerRow(p, cmd.cols);
  const out: BeatRead[] = [];
  let w = cmd.w_base;
  for (let row = 0; row < cmd.rows; row++) {
    for (let beat = 0; beat < beats; beat++) {
      const sub = beat % p.beats_per_word;
      out.push({
        row,
        beat,
        bmem_addr: w,
        sub,
        bram_addr: cmd.a_base + Math.floor(beat / p.bram_slices),
        bram_slice: beat % p.bram_slices,
        valid_lanes: Math.max(0, Math.min(p.lanes, cmd.cols - beat * p.lanes)),
      });
      // The next beat moves to a new word after the word's last beat and after a row's last beat.
      if (beat === beats - 1 || sub === p.beats_per_word - 1) w++;
    }
  }
  return out;
}

/**
 * The GEMV's results. `readEdge(j)` is the edge at which beat j is read (accept + 1 + j when
 * nothing stalls); each read sees the memories as the read-first rule says. Throws when a lane
 * that takes part reads a word never written (the RTL would use uninitialised state).
 */
export function bankGemv(p: BankParams, mem: BankMemories, cmd: GemvCommand, readEdge: (beat: number) => number): Dot[] {
  const rows: Beat[][] = Array.from({ length: cmd.rows }, () => []);
  gemvBeats(p, cmd).forEach((b, j) => {
    const edge = readEdge(j);
    const mask = Array.from({ length: p.lanes }, (_, i) => i < b.valid_lanes);
    const word = mem.bmem.readAt(edge, b.bmem_addr);
    const acts = mem.bram.readAt(edge, b.bram_addr);
    if (b.valid_lanes > 0 && (word === undefined || acts === undefined)) {
      const which = word === undefined ? `BMEM word ${b.bmem_addr}` : `BRAM word ${b.bram_addr}`;
      throw new Error(`golden bank: row ${b.row} beat ${b.beat} reads ${which}, never written`);
    }
    rows[b.row]!.push({
      weights: Array.from({ length: p.lanes }, (_, i) => (word === undefined ? 0n : signedField(word, b.sub * p.lanes + i, p.weight_bits))),
      activations: Array.from({ length: p.lanes }, (_, i) => (acts === undefined ? 0n : signedField(acts, b.bram_slice * p.lanes + i, p.act_bits))),
      mask,
    });
  });
  return rows.map((beats) => macDot(beats, p.acc_bits));
}

/** A row of weights as BMEM words; padding fields past the row hold `pad` values (any: they are masked). */
export function packWeightRow(p: BankParams, weights: readonly bigint[], pad: () => bigint): bigint[] {
  const words: bigint[] = [];
  for (let w = 0; w < wordsPerRow(p, weights.length); w++) {
    const fields = Array.from({ length: p.weights_per_word }, (_, i) => weights[w * p.weights_per_word + i] ?? pad());
    words.push(packFields(fields, p.weight_bits));
  }
  return words;
}

/** The activation vector as BRAM words (bram_slices × lanes activations each); padding as for packWeightRow. */
export function packActivations(p: BankParams, acts: readonly bigint[], pad: () => bigint): bigint[] {
  const words: bigint[] = [];
  const per = p.bram_slices * p.lanes;
  for (let w = 0; w < bramWordsPerRow(p, acts.length); w++) {
    const fields = Array.from({ length: per }, (_, i) => acts[w * per + i] ?? pad());
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
