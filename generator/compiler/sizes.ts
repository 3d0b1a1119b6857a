// Sizes in words, and a bump allocator: how many CMEM / BRAM words a vector takes.
import type { ChipParams } from "../rtl/chip.js";

export const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);
export const roundUp = (a: number, b: number): number => ceilDiv(a, b) * b;
export const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
export const lcm = (a: number, b: number): number => (a / gcd(a, b)) * b;

/** CMEM / CRAM / host words holding `elems` activations. */
export function vecWords(p: ChipParams, elems: number): number {
  return ceilDiv(elems * p.act_bits, p.host_bits);
}

/** BRAM words a bcast of `elems` activations (whole CMEM words, whole beats) writes. */
export function bramWords(p: ChipParams, elems: number): number {
  const beats = ceilDiv(vecWords(p, elems) * p.host_bits, p.bus.bcast_bits);
  return ceilDiv(beats, p.bus.bram_r);
}

export interface Allocator {
  /** The next `words` words from a multiple of `align`: their first word. */
  take: (words: number, align?: number) => number;
  /** Words up to the end of the last region taken. */
  used: () => number;
}

export function allocator(start = 0): Allocator {
  let next = start;
  return {
    take: (words, align = 1) => {
      const at = roundUp(next, align);
      next = at + words;
      return at;
    },
    used: () => next,
  };
}
