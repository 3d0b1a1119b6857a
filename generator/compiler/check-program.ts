// Static checks of a compiled program against the chip's rules that the golden chip model does not
// enforce by itself: every instruction fits its encoding, no gemv runs more rows than a bank's
// result packer holds or leaves a bank's packer over-full, every result is gathered (a bank whose
// results are never gathered hangs the chip), and no gather drains a bank that has nothing.
import { encodeInstruction, gemvMask, type ChipParams } from "../rtl/chip.js";
import type { Program } from "./program.js";

/** Problems found (empty: none), one line each with the instruction's index and tag. */
export function programProblems(p: ChipParams, prog: Program): string[] {
  const problems: string[] = [];
  const pending: number[] = Array.from({ length: p.banks }, () => 0);
  const words = (rows: number): number => Math.ceil(rows / p.bus.per_word);
  prog.instrs.forEach(({ instr, tag }, i) => {
    const at = `instruction ${i} (${tag.what})`;
    try {
      encodeInstruction(p, instr);
    } catch (e) {
      problems.push(`${at}: ${(e as Error).message}`);
    }
    if (instr.op === "gemv") {
      const rows = Number(instr.rows);
      if (rows > p.bus.max_count) problems.push(`${at}: ${rows} rows, a packer returns at most ${p.bus.max_count}`);
      const mask = gemvMask(p, instr);
      for (let b = 0; b < p.banks; b++) {
        if (((mask >> BigInt(b)) & 1n) === 0n || rows === 0) continue;
        pending[b]! += words(rows);
        if (pending[b]! > p.bus.fifo_depth) problems.push(`${at}: bank ${b}'s packer would hold ${pending[b]} words, it holds ${p.bus.fifo_depth}`);
      }
    }
    if (instr.op === "gather") {
      const mask = BigInt(instr.mask);
      for (let b = 0; b < p.banks; b++) {
        if (((mask >> BigInt(b)) & 1n) === 0n) continue;
        if (pending[b] === 0) problems.push(`${at}: gathers bank ${b}, which has no results`);
        pending[b] = 0;
      }
    }
  });
  pending.forEach((w, b) => {
    if (w > 0) problems.push(`bank ${b}: ${w} words of results never gathered (the chip would hang)`);
  });
  return problems;
}
