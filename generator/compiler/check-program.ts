// Static checks of a compiled program against the chip's rules that the golden chip model does not
// enforce by itself: every instruction fits its encoding, no gemv runs more rows than a bank's
// result packer holds or leaves a bank's packer over-full, every result is gathered (a bank whose
// results are never gathered hangs the chip), and no gather drains a bank that has nothing. A GEMM
// (batch B > 1) leaves ceil(rows / per_word) words per vector; its gathers drain one vector each,
// tok 0 … B - 1 in order, and nothing else is gathered from those banks until they are done.
import { encodeInstruction, gemvMask, type ChipParams } from "../rtl/chip.js";
import { packedBank } from "../model/cycles-bus.js";
import { gemvShape } from "../model/cycles-chip.js";
import type { Program } from "./program.js";

/** Problems found (empty: none), one line each with the instruction's index and tag. */
export function programProblems(p: ChipParams, prog: Program): string[] {
  const problems: string[] = [];
  const pending: number[] = Array.from({ length: p.banks }, () => 0);
  // Per bank: the GEMM being gathered (words per vector, vectors, the next tok), or null.
  const gemm: ({ words: number; batch: number; next: number } | null)[] = Array.from({ length: p.banks }, () => null);
  // Packer words of a bank's GEMV (with element packing, from its start slot).
  const words = (rows: number, bank: number, pack: boolean): number => packedBank(p.bus.per_word, rows, bank % p.banks_per_die, pack).words;
  prog.instrs.forEach(({ instr, tag }, i) => {
    const at = `instruction ${i} (${tag.what})`;
    try {
      encodeInstruction(p, instr);
    } catch (e) {
      problems.push(`${at}: ${(e as Error).message}`);
    }
    if (instr.op === "gemv") {
      const rows = Number(instr.rows);
      const { batch, pack } = gemvShape(instr);
      if (rows > p.bus.max_count) problems.push(`${at}: ${rows} rows, a packer returns at most ${p.bus.max_count}`);
      const mask = gemvMask(p, instr);
      for (let b = 0; b < p.banks; b++) {
        if (((mask >> BigInt(b)) & 1n) === 0n || rows === 0) continue;
        if (batch > 1) {
          if (pending[b]! > 0) problems.push(`${at}: a GEMM on bank ${b}, which still holds results`);
          gemm[b] = { words: words(rows, b, pack), batch, next: 0 };
        }
        pending[b]! += words(rows, b, pack) * batch;
        if (pending[b]! > p.bus.fifo_depth) problems.push(`${at}: bank ${b}'s packer would hold ${pending[b]} words, it holds ${p.bus.fifo_depth}`);
      }
    }
    if (instr.op === "gather") {
      const mask = BigInt(instr.mask);
      const tok = Number(instr.tok ?? 0);
      for (let b = 0; b < p.banks; b++) {
        if (((mask >> BigInt(b)) & 1n) === 0n) continue;
        if (pending[b] === 0) problems.push(`${at}: gathers bank ${b}, which has no results`);
        const g = gemm[b];
        if (g) {
          if (tok !== g.next) problems.push(`${at}: gathers vector ${tok} of bank ${b}'s GEMM, vector ${g.next} is next`);
          pending[b] = Math.max(0, pending[b]! - g.words);
          g.next++;
          if (g.next === g.batch) gemm[b] = null;
        } else {
          if (tok !== 0) problems.push(`${at}: gathers vector ${tok} of bank ${b}, which ran no GEMM`);
          pending[b] = 0;
        }
      }
    }
  });
  pending.forEach((w, b) => {
    if (w > 0) problems.push(`bank ${b}: ${w} words of results never gathered (the chip would hang)`);
  });
  return problems;
}
