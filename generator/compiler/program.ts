// A compiled program: instructions for the chip (generator/rtl/chip.ts), each tagged with the part
// of the seed's per-token breakdown it belongs to and its layer, the s_data words the program
// consumes in order, and what its rd_cmem instructions send back.
import type { Instruction } from "../rtl/chip.js";

/**
 * The seed's breakdown (README "The model"): intra-bank weights (weight GEMVs), intra-bank KV
 * (score and PV GEMVs over the KV cache), controller-bank transfers (bcast, gather, and the KV
 * appends st_bmem / st_vt), intra-controller (vop, cp_cram); plus host I/O, which the seed's
 * decode time leaves out (wr_cmem / rd_cmem / wr_cram / ld_bmem: the embedding row in, the logits
 * out, the one-time load).
 */
export type Part = "intra_bank_weights" | "intra_bank_kv" | "controller_bank" | "intra_controller" | "host";

/**
 * The model splits controller-bank transfers and intra-controller work further into what serves the
 * weight GEMVs (their inputs and outputs, norms, residuals, SiLU × up) and what serves attention
 * (q, probabilities, scores, head outputs, KV appends, RoPE, softmax).
 */
export type Stream = "weights" | "kv";

export interface InstrTag {
  part: Part;
  stream: Stream;
  /** Decoder layer, or null outside the layers (embedding in, final norm, LM head, logits out, load). */
  layer: number | null;
  /** What it does, e.g. "gemv q", "bcast q head 3 → bank 5", "softmax head 1". */
  what: string;
}

export interface TaggedInstruction {
  instr: Instruction;
  tag: InstrTag;
}

/** What one rd_cmem of the program returns: `elems` activation codes (the rest of its words is padding). */
export interface ReadBack {
  what: "layer_output" | "logits";
  layer: number | null;
  /** The token position it belongs to, in a program that runs several (prefill); absent: the program's only one. */
  pos?: number;
  words: number;
  elems: number;
}

export interface Program {
  instrs: TaggedInstruction[];
  /** s_data words in the order the instructions consume them (wr_cmem, wr_cram, ld_bmem). */
  data: bigint[];
  /** One entry per rd_cmem, in program order. */
  reads: ReadBack[];
}

/**
 * One position's share of a program's reads (ReadBack.pos; a read without one belongs to every
 * position the program serves): the program with only those reads, and their values.
 */
export function readsOfPosition<T>(prog: Program, reads: readonly T[], pos: number): { prog: Program; reads: T[] } {
  const keep = prog.reads.map((r) => (r.pos ?? pos) === pos);
  return { prog: { ...prog, reads: prog.reads.filter((_, k) => keep[k]) }, reads: reads.filter((_, k) => keep[k]) };
}

/** The plain instruction list (for the RTL testbench and the cycle model). */
export function instructionsOf(prog: Program): Instruction[] {
  return prog.instrs.map((t) => t.instr);
}

/**
 * Sums a number per instruction (e.g. its cycles from the cycle model or the RTL) by a key of its
 * tag: by part (the default), or e.g. (t) => `${t.part}/${t.stream}` or (t) => String(t.layer).
 */
export function tally(prog: Program, perInstr: readonly number[], key: (t: InstrTag) => string = (t) => t.part): Record<string, number> {
  if (perInstr.length !== prog.instrs.length) throw new Error(`tally: ${perInstr.length} numbers for ${prog.instrs.length} instructions`);
  const sums: Record<string, number> = {};
  prog.instrs.forEach(({ tag }, i) => {
    const k = key(tag);
    sums[k] = (sums[k] ?? 0) + perInstr[i]!;
  });
  return sums;
}

/** Collects a program in order. */
export interface ProgramBuilder {
  emit(instr: Instruction, tag: InstrTag): void;
  /** Host words for the instruction emitted next (or just emitted): appended to s_data. */
  send(words: readonly bigint[]): void;
  read(r: ReadBack): void;
  done(): Program;
}

export function programBuilder(): ProgramBuilder {
  const instrs: TaggedInstruction[] = [];
  const data: bigint[] = [];
  const reads: ReadBack[] = [];
  return {
    emit: (instr, tag) => void instrs.push({ instr, tag }),
    send: (words) => void data.push(...words),
    read: (r) => void reads.push(r),
    done: () => ({ instrs, data, reads }),
  };
}
