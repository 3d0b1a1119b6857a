// What an engine returns for a run's programs (load first, then the steps), and the pure helpers
// that cut one long run's host output and accept edges back into programs and reads.
import type { Program } from "../../generator/compiler/index.js";
import { unpackFromWords } from "../../generator/compiler/words.js";

export type Engine = "rtl" | "model";
export const ENGINES: readonly Engine[] = ["rtl", "model"];

export interface SimInfo {
  /** Clock edges the testbench ran (reset and the drain after the last instruction included). */
  cycles: number;
  wall_s: number;
  build: { cached: boolean; seconds: number };
  /** BMEM words loaded through the simulation back door instead of ld_bmem (RtlOptions.preloadBmem); absent: none. */
  preloaded_bmem_words?: number;
}

export interface EngineRun {
  /** Per program, per rd_cmem of the program (Program.reads): the elements read back (fewer when m_data words are missing). */
  reads: bigint[][][];
  /** Per program, per instruction: cycles from its accept edge to the next accept edge; null when not measured (the model engine). */
  measured: number[][] | null;
  /** Host-interface failures: a timeout, instructions not accepted, s_data words not taken, m_data words missing or extra. */
  problems: string[];
  sim: SimInfo | null;
}

/** Splits values (one per instruction of the programs run back to back) per program. */
export function perProgram<T>(programs: readonly Program[], values: readonly T[]): T[][] {
  const out: T[][] = [];
  let at = 0;
  for (const prog of programs) {
    out.push(values.slice(at, at + prog.instrs.length));
    at += prog.instrs.length;
  }
  return out;
}

/** Cycles per instruction from accept edges (instruction i: accept[i + 1] - accept[i]; the run must end with one extra instruction). */
export function acceptDeltas(accept: readonly number[]): number[] {
  return accept.slice(1).map((a, i) => a - accept[i]!);
}

/**
 * The m_data words of programs run back to back, cut per program and per read (each read's words
 * in order, tlast on its last word), unpacked to activation codes.
 */
export function splitReads(
  programs: readonly Program[],
  out: readonly { data: bigint; last: boolean }[],
  hostBits: number,
  actBits: number,
): { reads: bigint[][][]; problems: string[] } {
  const problems: string[] = [];
  let at = 0;
  const reads = programs.map((prog, k) =>
    prog.reads.map((r, j) => {
      const words = out.slice(at, at + r.words);
      const lastOk = words.every((w, i) => w.last === (i === r.words - 1));
      if (words.length === r.words && !lastOk && problems.length < 4) problems.push(`program ${k}, read ${j} (${r.what}): tlast not on its last word only`);
      at += r.words;
      const count = words.length === r.words ? r.elems : Math.min(r.elems, Math.floor((words.length * hostBits) / actBits));
      return unpackFromWords(
        words.map((w) => w.data),
        hostBits,
        actBits,
        count,
      );
    }),
  );
  if (out.length !== at) problems.push(`${out.length} m_data words, the programs' reads account for ${at}`);
  return { reads, problems };
}
