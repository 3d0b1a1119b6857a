// Where a gather puts each bank's results: the order of the CMEM element stream a `gather mask`
// writes (the chip's compaction, generator/rtl/chip.ts and sim/golden/chip.ts). Per die, the
// die's masked banks in bank order, each bank's results packed per_word to a bus word (the last
// word zero-padded); beat i is word i of every die that has one; the stream is the beats in order,
// within a beat the dies in order, and only the dies that sent a word. With element packing (a
// gemv's pack), bank b of a die starts at element (rows × b) mod per_word and a bank's last word is
// shared with the next masked bank's first when its results end inside it: a die's banks' results
// back to back. The compiler places rows (weights, K rows, V^T rows) by this order so that vectors
// come back where it wants them.
import { packedBank } from "../model/cycles-bus.js";
import type { ChipParams } from "../rtl/chip.js";

/** One element of a gathered stream: result `row` of bank `bank`, or a zero pad (null). */
export type StreamSlot = { bank: number; row: number } | null;

/** The element stream of a gather of `banks` (chip-wide indices) when each ran a GEMV of `rows` rows (with `pack`: element packing). */
export function gatherStream(p: ChipParams, banks: readonly number[], rows: number, pack = false): StreamSlot[] {
  const perWord = p.bus.per_word;
  const on = new Set(banks);
  const perDie: StreamSlot[][][] = [];
  for (let d = 0; d < p.dies; d++) {
    const words: StreamSlot[][] = [];
    let open = false;
    for (let k = 0; k < p.banks_per_die; k++) {
      const bank = d * p.banks_per_die + k;
      if (!on.has(bank)) continue;
      const { start, words: n, open: opens } = packedBank(perWord, rows, k, pack);
      const own = Array.from({ length: n }, () => Array.from({ length: perWord }, (): StreamSlot => null));
      for (let r = 0; r < rows; r++) own[Math.floor((start + r) / perWord)]![(start + r) % perWord] = { bank, row: r };
      // The previous bank's open last word and this bank's first are one word.
      if (open) {
        const shared = words.pop()!;
        own[0] = own[0]!.map((s, e) => s ?? shared[e]!);
      }
      words.push(...own);
      open = opens;
    }
    perDie.push(words);
  }
  const beats = Math.max(0, ...perDie.map((w) => w.length));
  const stream: StreamSlot[] = [];
  for (let i = 0; i < beats; i++) {
    for (const words of perDie) {
      const word = words[i];
      if (word) stream.push(...word);
    }
  }
  return stream;
}

/** The bank mask (bit k: bank k) of a list of banks. */
export function bankMask(banks: readonly number[]): bigint {
  return banks.reduce((m, b) => m | (1n << BigInt(b)), 0n);
}

/** Every bank of the chip. */
export function allBanks(p: ChipParams): number[] {
  return Array.from({ length: p.banks }, (_, k) => k);
}

/** The die of a bank. */
export function dieOf(p: ChipParams, bank: number): number {
  return Math.floor(bank / p.banks_per_die);
}
