// Golden model of the die broadcast bus ({name}_interconnect): what the banks' BRAMs receive from
// a broadcast, and the beats the controller receives from a gather. Integer-exact (bigint).
import type { InterconnectParams } from "../../generator/rtl/interconnect.js";
import { roundShift, saturate } from "./ctrl_fixed.js";

export interface BroadcastBeat {
  addr: number;
  /** bcast_bits of data. */
  data: bigint;
}

/** Every die's BRAM write port carries the broadcast's beats, in order, unchanged. */
export function broadcastWrites(p: InterconnectParams, beats: readonly BroadcastBeat[]): BroadcastBeat[][] {
  return Array.from({ length: p.dies }, () => beats.map((b) => ({ ...b })));
}

/** Requantise one bank result: round half up by `shift`, saturate to elem_bits; as an unsigned code. */
export function requantise(p: InterconnectParams, acc: bigint, shift: number): bigint {
  const v = saturate(roundShift(acc, shift), p.elem_bits);
  return v < 0n ? v + (1n << BigInt(p.elem_bits)) : v;
}

/** One bank's results of a GEMV, packed per_word elements a word from bit 0 up, last word zero-padded. */
export function packResults(p: InterconnectParams, results: readonly bigint[], shift: number): bigint[] {
  const words: bigint[] = [];
  for (let i = 0; i < results.length; i += p.per_word) {
    let w = 0n;
    results.slice(i, i + p.per_word).forEach((r, k) => {
      w |= requantise(p, r, shift) << BigInt(k * p.elem_bits);
    });
    words.push(w);
  }
  return words;
}

export interface GatherBeat {
  /** Which dies' words the beat carries. */
  keep: boolean[];
  /** Word of die d (0n where not kept). */
  words: bigint[];
  last: boolean;
}

/**
 * The controller's view of a gather: die d sends the packed words of its masked banks in bank
 * order; all dies send at once, one word per cycle each; beat i carries the i-th word of every die
 * that has one; the final beat is marked last.
 * results[bank] holds bank `bank`'s results (global bank index d × banks_per_die + b).
 */
export function gatherBeats(p: InterconnectParams, results: readonly (readonly bigint[])[], mask: readonly boolean[], shift: number): GatherBeat[] {
  const perDie: bigint[][] = [];
  for (let d = 0; d < p.dies; d++) {
    const words: bigint[] = [];
    for (let b = 0; b < p.banks_per_die; b++) {
      const bank = d * p.banks_per_die + b;
      if (mask[bank]) words.push(...packResults(p, results[bank] ?? [], shift));
    }
    perDie.push(words);
  }
  const n = Math.max(0, ...perDie.map((w) => w.length));
  return Array.from({ length: n }, (_, i) => ({
    keep: perDie.map((w) => i < w.length),
    words: perDie.map((w) => w[i] ?? 0n),
    last: i === n - 1,
  }));
}
