// Static checks of a compiled program against the chip's rules that the golden chip model does not
// enforce by itself: every instruction fits its encoding, no gemv runs more rows than a bank's
// result packer holds or leaves a bank's packer over-full, every result is gathered (a bank whose
// results are never gathered hangs the chip), and no gather drains a bank that has nothing. A GEMM
// (batch B > 1) leaves ceil(rows / per_word) words per vector; its gathers drain one vector each,
// tok 0 … B - 1 in order, and nothing else is gathered from those banks until they are done. A
// gather drains one GEMV's words (the oldest); with prev, not the running GEMV's (the banks of the
// last gemv must hold an older one) and no GEMM's.
import { encodeInstruction, gemvMask, type ChipParams } from "../rtl/chip.js";
import { packedBank } from "../model/cycles-bus.js";
import { gemvShape } from "../model/cycles-chip.js";
import type { Program } from "./program.js";

/** Problems found (empty: none), one line each with the instruction's index and tag. */
export function programProblems(p: ChipParams, prog: Program): string[] {
  const problems: string[] = [];
  // Per bank: the words of each GEMV whose results are in its packer, oldest first.
  const pending: number[][] = Array.from({ length: p.banks }, () => []);
  const held = (b: number): number => pending[b]!.reduce((s, w) => s + w, 0);
  let lastMask = 0n;
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
      lastMask = rows === 0 ? 0n : mask;
      for (let b = 0; b < p.banks; b++) {
        if (((mask >> BigInt(b)) & 1n) === 0n || rows === 0) continue;
        if (batch > 1) {
          if (held(b) > 0) problems.push(`${at}: a GEMM on bank ${b}, which still holds results`);
          gemm[b] = { words: words(rows, b, pack), batch, next: 0 };
        }
        pending[b]!.push(words(rows, b, pack) * batch);
        if (held(b) > p.bus.fifo_depth) problems.push(`${at}: bank ${b}'s packer would hold ${held(b)} words, it holds ${p.bus.fifo_depth}`);
      }
    }
    if (instr.op === "gather") {
      const mask = BigInt(instr.mask);
      const tok = Number(instr.tok ?? 0);
      const prev = Number(instr.prev ?? 0) === 1;
      for (let b = 0; b < p.banks; b++) {
        if (((mask >> BigInt(b)) & 1n) === 0n) continue;
        if (pending[b]!.length === 0) problems.push(`${at}: gathers bank ${b}, which has no results`);
        const g = gemm[b];
        if (prev && (g || pending[b]!.length < ((lastMask >> BigInt(b)) & 1n ? 2 : 1))) {
          problems.push(`${at}: gather prev of bank ${b}, which holds no finished GEMV's results before the running one (or a GEMM's)`);
        }
        if (g) {
          if (tok !== g.next) problems.push(`${at}: gathers vector ${tok} of bank ${b}'s GEMM, vector ${g.next} is next`);
          pending[b]![0] = Math.max(0, pending[b]![0]! - g.words);
          g.next++;
          if (g.next === g.batch) {
            gemm[b] = null;
            pending[b]!.shift();
          }
        } else {
          if (tok !== 0) problems.push(`${at}: gathers vector ${tok} of bank ${b}, which ran no GEMM`);
          pending[b]!.shift();
        }
      }
      // A gather without prev waits for the banks: no GEMV runs after it.
      if (!prev) lastMask = 0n;
    }
  });
  pending.forEach((q, b) => {
    const w = q.reduce((s, x) => s + x, 0);
    if (w > 0) problems.push(`bank ${b}: ${w} words of results never gathered (the chip would hang)`);
  });
  return problems;
}
