// Cycle formulas of the die broadcast bus ({name}_interconnect), from the same per-cycle rates as
// the analytical model's cycle view: a transfer costs λ (latency_cycles) plus its beats at
// dies × bus.bits per cycle (broadcast; the model's CBM) or bus.bits per die in parallel (gather),
// plus the fixed pipeline latencies of the RTL stated here.
import { BROADCAST_FANOUT_LATENCY, GATHER_COMMAND_LATENCY, type InterconnectParams } from "../rtl/interconnect.js";

/** Beats of a broadcast of `bits` of data. */
export function broadcastBeats(p: InterconnectParams, bits: number): number {
  return Math.ceil(bits / p.bcast_bits);
}

/** From the first beat offered to the last BRAM write, inclusive: λ + beats + fan-out latency. */
export function broadcastCycles(p: InterconnectParams, beats: number): number {
  return p.latency + beats + BROADCAST_FANOUT_LATENCY;
}

/**
 * A transfer of `beats` beats into one bank's BMEM, from the first beat offered to the last BMEM
 * write, inclusive: λ + beats × bmem_split + fan-out latency. A beat holding bmem_split BMEM words
 * takes the die one cycle per word (its DieRAM absorbs the beats arriving meanwhile and then
 * back-pressures the link), so the BMEM write port, not the bus, sets the pace; when a BMEM word is
 * a beat or wider (bmem_split = 1) this is broadcastCycles.
 */
export function bmemLoadCycles(p: InterconnectParams, beats: number): number {
  return beats === 0 ? 0 : p.latency + beats * p.bmem_split + BROADCAST_FANOUT_LATENCY;
}

/**
 * One bank's part of a gather: with element packing (`pack`, a gemv's), bank `local` of its die
 * puts its first of `results` at element (results × local) mod per_word of its first word (the RTL's
 * {name}_die); the words its packer fills, and whether the last is open (its results end inside it,
 * so the next masked bank's first word shares it). Without packing: from element 0, never open.
 */
export function packedBank(perWord: number, results: number, local: number, pack: boolean): { start: number; words: number; open: boolean } {
  const start = pack ? (results * local) % perWord : 0;
  return { start, words: Math.ceil((start + results) / perWord), open: pack && (start + results) % perWord !== 0 };
}

/**
 * Return-link words die d sends: Σ over its masked banks of ceil(results / per_word). With element
 * packing (`pack`), bank b's results start at element (results × b) mod per_word of its first word
 * and a bank's open last word (its results ending inside it) shares one word with the next masked
 * bank's first: one word fewer for each such bank that has a masked bank after it on the die.
 */
export function gatherWords(p: InterconnectParams, resultsPerBank: readonly number[], mask: readonly boolean[], pack = false): number[] {
  return Array.from({ length: p.dies }, (_, d) => {
    let words = 0;
    let open = false;
    for (let b = 0; b < p.banks_per_die; b++) {
      const bank = d * p.banks_per_die + b;
      if (!mask[bank]) continue;
      const mine = packedBank(p.per_word, resultsPerBank[bank] ?? 0, b, pack);
      if (open) words--;
      words += mine.words;
      open = mine.open;
    }
    return words;
  });
}

/** From the gather command offered to the final beat taken, inclusive: 1 + λ + the longest die's words. */
export function gatherCycles(p: InterconnectParams, wordsPerDie: readonly number[]): number {
  const longest = Math.max(0, ...wordsPerDie);
  return longest === 0 ? GATHER_COMMAND_LATENCY : GATHER_COMMAND_LATENCY + p.latency + longest;
}
