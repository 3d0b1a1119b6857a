// Golden model of the die broadcast bus ({name}_interconnect): what the banks' BRAMs receive from
// a broadcast, and the beats the controller receives from a gather. Integer-exact (bigint).
import type { InterconnectParams } from "../../generator/rtl/interconnect.js";
import { roundShift, saturate } from "./ctrl_fixed.js";

/**
 * A beat on the broadcast bus (see {name}_die): target 0 = BRAM of every bank, k + 1 = BMEM of bank
 * k. (The die's third kind, BRAM of one bank, writes what target 0 writes to that bank alone: the
 * chip's golden model, sim/golden/chip.ts, applies it so.)
 */
export interface BusBeat {
  target: number;
  /** Word address in the target memory. */
  addr: number;
  /** Slice of the word when a word is assembled from several beats. */
  slot: number;
  /** The transfer's last beat. */
  last: boolean;
  /** bcast_bits of data. */
  data: bigint;
}

export interface MemWrite {
  addr: number;
  data: bigint;
}

export interface BroadcastWrites {
  /** Per die: its BRAM write port's writes, in order. */
  bram: MemWrite[][];
  /** Per bank (chip-wide index): its BMEM writes, in order. */
  bmem: MemWrite[][];
}

/**
 * The beats of one transfer of `data` (bcast_bits each) to `target` from word `word`: beat j is
 * slice j % R of word word + floor(j / R) when R beats make a word, or covers words
 * word + j × split … when a beat holds `split` BMEM words.
 */
export function busTransfer(p: InterconnectParams, target: number, word: number, data: readonly bigint[]): BusBeat[] {
  const r = target === 0 ? p.bram_r : p.bmem_r;
  const split = target === 0 ? 1 : p.bmem_split;
  return data.map((d, j) => ({
    target,
    addr: r > 1 ? word + Math.floor(j / r) : word + j * split,
    slot: r > 1 ? j % r : 0,
    last: j === data.length - 1,
    data: d,
  }));
}

/**
 * What the banks' memories receive from a broadcast. BRAM: every die writes every BRAM beat; R > 1
 * beats are assembled into a word written at its last slice or the transfer's last beat (slices not
 * carried are zero). BMEM: the die of bank k writes its words: a beat split into `bmem_split` words,
 * or assembled like BRAM words.
 */
export function broadcastWrites(p: InterconnectParams, beats: readonly BusBeat[]): BroadcastWrites {
  const banks = p.dies * p.banks_per_die;
  const bram: MemWrite[] = [];
  const bmem: MemWrite[][] = Array.from({ length: banks }, () => []);
  let bramPack = 0n;
  const bmemPack: bigint[] = Array.from({ length: p.dies }, () => 0n);
  const bcast = BigInt(p.bcast_bits);
  for (const b of beats) {
    if (b.target === 0) {
      if (p.bram_r === 1) {
        bram.push({ addr: b.addr, data: b.data });
      } else {
        bramPack |= b.data << (BigInt(b.slot) * bcast);
        if (b.slot === p.bram_r - 1 || b.last) {
          bram.push({ addr: b.addr, data: bramPack });
          bramPack = 0n;
        }
      }
      continue;
    }
    const bank = b.target - 1;
    if (bank < 0 || bank >= banks) continue;
    const die = Math.floor(bank / p.banks_per_die);
    if (p.bmem_r > 1) {
      bmemPack[die] = bmemPack[die]! | (b.data << (BigInt(b.slot) * bcast));
      if (b.slot === p.bmem_r - 1 || b.last) {
        bmem[bank]!.push({ addr: b.addr, data: bmemPack[die]! });
        bmemPack[die] = 0n;
      }
    } else {
      const mask = (1n << BigInt(p.read_bits)) - 1n;
      for (let i = 0; i < p.bmem_split; i++) bmem[bank]!.push({ addr: b.addr + i, data: (b.data >> BigInt(i * p.read_bits)) & mask });
    }
  }
  return { bram: Array.from({ length: p.dies }, () => bram.map((w) => ({ ...w }))), bmem };
}

/** Requantise one bank result: round half up by `shift`, saturate to elem_bits; as an unsigned code. */
export function requantise(p: InterconnectParams, acc: bigint, shift: number): bigint {
  const v = saturate(roundShift(acc, shift), p.elem_bits);
  return v < 0n ? v + (1n << BigInt(p.elem_bits)) : v;
}

/**
 * One bank's results of a GEMV, packed per_word elements a word from bit 0 up, last word
 * zero-padded; with `start`, the first result at element `start` of the first word (the elements
 * below it zero).
 */
export function packResults(p: InterconnectParams, results: readonly bigint[], shift: number, start = 0): bigint[] {
  const words: bigint[] = [];
  results.forEach((r, i) => {
    const slot = start + i;
    const w = Math.floor(slot / p.per_word);
    words[w] = (words[w] ?? 0n) | (requantise(p, r, shift) << BigInt((slot % p.per_word) * p.elem_bits));
  });
  return words;
}

/**
 * The words die d sends for a gather of its masked banks (results[bank] for each), in bank order.
 * Without `pack`: each bank's packed words. With `pack` (the GEMV's element packing): bank b of the
 * die starts at element (rows × b) mod per_word, and a bank's last word, when its results end
 * inside it (open), is ORed with the next masked bank's first word (and so on): one word sent.
 */
export function dieWords(p: InterconnectParams, results: readonly (readonly bigint[])[], mask: readonly boolean[], shift: number, die: number, pack = false): bigint[] {
  const out: bigint[] = [];
  let acc: bigint | null = null;
  for (let b = 0; b < p.banks_per_die; b++) {
    const bank = die * p.banks_per_die + b;
    if (!mask[bank]) continue;
    const r = results[bank] ?? [];
    const start = pack ? (r.length * b) % p.per_word : 0;
    const words = packResults(p, r, shift, start);
    const open = pack && (start + r.length) % p.per_word !== 0;
    words.forEach((w, i) => {
      acc = (acc ?? 0n) | w;
      if (i === words.length - 1 && open) return;
      out.push(acc);
      acc = null;
    });
  }
  if (acc !== null) out.push(acc);
  return out;
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
export function gatherBeats(p: InterconnectParams, results: readonly (readonly bigint[])[], mask: readonly boolean[], shift: number, pack = false): GatherBeat[] {
  const perDie = Array.from({ length: p.dies }, (_, d) => dieWords(p, results, mask, shift, d, pack));
  const n = Math.max(0, ...perDie.map((w) => w.length));
  return Array.from({ length: n }, (_, i) => ({
    keep: perDie.map((w) => i < w.length),
    words: perDie.map((w) => w[i] ?? 0n),
    last: i === n - 1,
  }));
}
