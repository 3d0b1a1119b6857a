// The controller (command sequencer, CRAM, CMEM, vector ALU) and the chip top: every parameter and
// the instruction encoding, computed once from the spec (templates/rtl/{gearbox,controller,chip}.v.hbs
// only print them; the golden model, the cycle model and the testbench read the same object).
//
// Instruction set (one s_cmd beat of CMD_BITS per instruction; opcode in bits [3:0], fields from
// bit 4 up in the order listed, each as wide as its range needs — see instructionLayout):
//
//   op  name     fields                                   what it does
//   0   nop      -                                        nothing (one cycle)
//   1   wr_cmem  addr, n                                  n words from s_data into CMEM[addr ..]
//   2   wr_cram  addr, n                                  n words from s_data into CRAM[addr ..]
//   3   rd_cmem  addr, n                                  CMEM[addr .. addr+n-1] out on m_data (tlast on the last)
//   4   ld_bmem  bank, addr, n                            n words from s_data over the bus into BMEM of
//                                                         `bank` from BMEM word addr (bit-contiguous)
//   5   bcast    addr, n, bram, bank                      CMEM[addr .. addr+n-1] over the bus into the BRAM
//                                                         from BRAM word `bram` of every bank (bank = 0) or
//                                                         of bank `bank` - 1 only
//   6   gemv     rows, cols, w_base, a_base, shift,       the banks in `mask` (bit k: bank k): rows dot
//                kv, mask, pitch, batch, a_stride, pack   products of cols columns (see {name}_bank) of
//                                                         weight_bits fields (kv = 0) or kv_bits fields
//                                                         (kv = 1: K rows, V^T rows), row r from BMEM word
//                                                         w_base + r × pitch (pitch 0: packed rows);
//                                                         results requantised by `shift` into those
//                                                         banks' packers. batch = B > 1 (kv = 0): a GEMM,
//                                                         the rows against B vectors, vector t from BRAM
//                                                         word a_base + t × a_stride; rows × B results a
//                                                         bank, gathered vector by vector (gather tok).
//                                                         pack = 1: bank b of a die puts its first result
//                                                         at element (rows × b) mod per_word of its first
//                                                         word and the die ORs a bank's open last word
//                                                         with the next bank's first: a gather of a whole
//                                                         die returns its banks' results back to back.
//                a_slice, hsh, hstep                      the activations start at MAC beat a_slice of
//                                                         BRAM word a_base; hstep = k + 1 > 0: bank b
//                                                         starts (slot_b >> hsh) << k MAC beats further,
//                                                         slot_b = (b mod banks_per_die) × dies +
//                                                         floor(b / banks_per_die) (the compiler's
//                                                         dealing of heads to banks): each bank its own
//                                                         head's q or p out of one broadcast of all
//   7   gather   mask, addr, tok, prev                    the masked banks' packed results into CMEM[addr ..]
//                                                         (a GEMM's: those of vector tok, which come
//                                                         out as a GEMV's would; vectors in order).
//                                                         It waits for the banks to be idle, unless
//                                                         prev = 1: it drains the results of the GEMV
//                                                         before the last one (complete: the last one
//                                                         started once the banks were idle) while the
//                                                         last one runs on (both GEMVs, not GEMMs)
//   8   vop      alu, len, a, b, y, shift, mult, pos        vector ALU op `alu` ({name}_ctrl_valu opcodes) on
//                                                         len elements of CMEM[a ..] (and CRAM[b ..] for
//                                                         add, mul, rmsnorm); the result into CMEM[y ..]
//   9   st_bmem  bank, addr, n, src                       CMEM[src .. src+n-1] over the bus into BMEM of
//                                                         `bank` from BMEM word addr (as ld_bmem, data
//                                                         from CMEM: the chip's own K/V rows)
//   10  cp_cram  src, dst, n                              CMEM[src .. src+n-1] into CRAM[dst ..]
//   11  st_vt    bank, addr, stride, field, n, src,       the first n kv_bits fields of the bit stream from
//                spread                                   CMEM[src] into BMEM of `bank`: field e into word
//                                                         addr + e × stride at bits [field × kv_bits +:
//                                                         kv_bits], the word's other bits kept (a column
//                                                         of V^T: the chip's own V append). spread = L > 0:
//                                                         banks 0 .. L-1 of every die at once, S = L ×
//                                                         dies slots (S divides a beat's fields): field e
//                                                         to slot s = e mod S, word addr + floor(e / S) ×
//                                                         stride; slot s is bank (s mod dies) ×
//                                                         banks_per_die + floor(s / dies); each die writes
//                                                         its L banks' fields in the same cycle
//   12..15       -                                        as nop
// A word of s_data, m_data, CMEM and CRAM is chip.controller.mem_bits (HOST_BITS) wide; vectors are
// bit-contiguous (element i at bit i × activation_bits from the start of the first word).
import { UserError } from "../errors.js";
import type { LoadedSpec } from "../spec/load.js";
import { controllerRtlModules, ctrlParams, type CtrlParams } from "./ctrl_index.js";
import { builtAluOp, CTRL_OPCODES, valuWidths } from "./ctrl_valu.js";
import type { CtrlOp } from "../model/cycles-controller.js";
import { interconnectParams, type InterconnectParams } from "./interconnect.js";
import { rtlModule, type RtlModule } from "./module.js";
import { bankParams, clog2, type BankParams } from "./params.js";
import { render } from "./render.js";

export const OPCODES = {
  nop: 0,
  wr_cmem: 1,
  wr_cram: 2,
  rd_cmem: 3,
  ld_bmem: 4,
  bcast: 5,
  gemv: 6,
  gather: 7,
  vop: 8,
  st_bmem: 9,
  cp_cram: 10,
  st_vt: 11,
} as const;

export type Opcode = keyof typeof OPCODES;

/** Field names of each instruction, in encoding order (LSB first after the opcode). */
export const INSTRUCTION_FIELDS = {
  nop: [],
  wr_cmem: ["addr", "n"],
  wr_cram: ["addr", "n"],
  rd_cmem: ["addr", "n"],
  ld_bmem: ["bank", "addr", "n"],
  bcast: ["addr", "n", "bram", "bank"],
  gemv: ["rows", "cols", "w_base", "a_base", "shift", "kv", "mask", "pitch", "batch", "a_stride", "pack", "a_slice", "hsh", "hstep"],
  gather: ["mask", "addr", "tok", "prev"],
  vop: ["alu", "len", "a", "b", "y", "shift", "mult", "pos"],
  st_bmem: ["bank", "addr", "n", "src"],
  cp_cram: ["src", "dst", "n"],
  st_vt: ["bank", "addr", "stride", "field", "n", "src", "spread"],
} as const satisfies Record<Opcode, readonly string[]>;

export type FieldOf<O extends Opcode> = (typeof INSTRUCTION_FIELDS)[O][number];

/**
 * Fields a program may leave out: bcast's bank (0 = every bank), gemv's kv (0 = weights), mask
 * (every bank), pitch (0 = packed rows), batch (1: a GEMV), a_stride (0), pack (0: each bank's
 * results from a word of their own), a_slice (0), hsh and hstep (0: every bank the same
 * activations); gather's tok (0) and prev (0: wait for the banks); st_vt's spread (0: one bank).
 */
interface OptionalFields {
  bcast: "bank";
  gemv: "kv" | "mask" | "pitch" | "batch" | "a_stride" | "pack" | "a_slice" | "hsh" | "hstep";
  gather: "tok" | "prev";
  st_vt: "spread";
}
type OptionalOf<O extends Opcode> = O extends keyof OptionalFields ? OptionalFields[O] : never;

/** One field of one instruction: bits [lsb +: width] of the command word. */
export interface FieldLayout {
  op: Opcode;
  field: string;
  lsb: number;
  width: number;
  /** What it means, for the generated header. */
  doc: string;
}

export const OPCODE_BITS = 4;

/** A gearbox (templates/rtl/gearbox.v.hbs) instance's widths. */
export interface GearboxWidths {
  in_w: number;
  out_w: number;
  unit: number;
  /** Units per input and output beat. */
  in_units: number;
  out_units: number;
}

export interface ChipParams {
  name: string;
  dies: number;
  banks_per_die: number;
  banks: number;
  bank: BankParams;
  bus: InterconnectParams;
  ctrl: CtrlParams;
  act_bits: number;
  /** s_data / m_data / CMEM / CRAM word: chip.controller.mem_bits. */
  host_bits: number;
  /** Elements per host / CMEM word. */
  host_elems: number;
  cmem_depth: number;
  cmem_aw: number;
  cram_depth: number;
  cram_aw: number;
  /** Bits of the word counts n of wr_cmem / rd_cmem / bcast, wr_cram, ld_bmem. */
  cmem_nw: number;
  cram_nw: number;
  ld_nw: number;
  /** Bits of a bank index. */
  bank_w: number;
  /** Bits of bcast's bank select (0: every bank, k + 1: bank k): the broadcast target's low bits. */
  sel_w: number;
  /** Bits of cp_cram's word count (holds min(CMEM, CRAM) words). */
  cp_nw: number;
  /** Bits of st_vt's field count (holds 0 .. BMEM words). */
  vt_nw: number;
  /** Bits of the bank's cmd_rows (holds 0 .. bmem_depth). */
  rows_w: number;
  /** Bits of gemv's a_slice (a MAC beat of a BRAM word), hsh (a shift of a bank's slot) and hstep. */
  a_slice_w: number;
  hsh_w: number;
  hstep_w: number;
  /** Width converters: CMEM/host words → broadcast beats, gather beats → CMEM words, CMEM words → ALU beats, ALU beats → CMEM words. */
  m2b: GearboxWidths;
  b2m: GearboxWidths;
  m2v: GearboxWidths;
  v2m: GearboxWidths;
  /** The vector ALU's ports (see {name}_ctrl_valu). */
  valu: { lanes: number; a: number; iw: number; ow: number; len_w: number; sh_w: number; mb: number; pos_w: number; ops: readonly CtrlOp[] };
  cmd_bits: number;
  layout: FieldLayout[];
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function gearbox(in_w: number, out_w: number, unit: number): GearboxWidths {
  return { in_w, out_w, unit, in_units: in_w / unit, out_units: out_w / unit };
}

function fieldWidths(p: Omit<ChipParams, "cmd_bits" | "layout">): Record<Opcode, Record<string, [number, string]>> {
  const b = p.bank;
  const ic = p.bus;
  return {
    nop: {},
    wr_cmem: { addr: [p.cmem_aw, "first CMEM word"], n: [p.cmem_nw, "words"] },
    wr_cram: { addr: [p.cram_aw, "first CRAM word"], n: [p.cram_nw, "words"] },
    rd_cmem: { addr: [p.cmem_aw, "first CMEM word"], n: [p.cmem_nw, "words"] },
    ld_bmem: { bank: [p.bank_w, "bank (chip-wide index)"], addr: [b.bmem_addr_bits, "first BMEM word"], n: [p.ld_nw, "host words"] },
    bcast: {
      addr: [p.cmem_aw, "first CMEM word"],
      n: [p.cmem_nw, "CMEM words"],
      bram: [b.bram_addr_bits, "first BRAM word"],
      bank: [p.sel_w, "0: every bank's BRAM; k + 1: bank k's only"],
    },
    gemv: {
      rows: [ic.count_w, `dot products per bank (at most ${ic.max_count})`],
      cols: [b.cols_bits, `columns (at most ${b.max_cols})`],
      w_base: [b.bmem_addr_bits, "BMEM word of row 0"],
      a_base: [b.bram_addr_bits, "BRAM word of the activations"],
      shift: [ic.shift_w, "requantisation shift of the results"],
      kv: [1, "0: weight_bits fields; 1: kv_bits fields (K and V^T rows)"],
      mask: [p.banks, "banks that run it (bit k: bank k)"],
      pitch: [b.bmem_addr_bits, "BMEM words from row to row (0: packed rows)"],
      batch: [b.batch_bits, `GEMM vectors (at most ${b.batch}; 0 or 1: a GEMV; kv = 1: taken as 1); ceil(rows / ${ic.per_word}) × batch at most ${ic.fifo_depth} packer words`],
      a_stride: [b.bram_addr_bits, "BRAM words from one GEMM vector to the next"],
      pack: [1, "1: element packing of the results across a die's banks (see {name}_die)"],
      a_slice: [p.a_slice_w, `MAC beat of BRAM word a_base where the activations start (0 .. ${b.bram_slices - 1})`],
      hsh: [p.hsh_w, "per-bank activations: bank b's head is its slot >> hsh"],
      hstep: [p.hstep_w, "0: every bank the same activations; k + 1: bank b's start (slot_b >> hsh) << k MAC beats further"],
    },
    gather: {
      mask: [p.banks, "banks to drain (bit k: bank k)"],
      addr: [p.cmem_aw, "first CMEM word"],
      tok: [ic.tok_w, "the GEMM vector to drain (0 for a GEMV); a GEMM's vectors are gathered in order, each once"],
      prev: [1, "1: the results of the GEMV before the last one, without waiting for the banks (the last one runs on)"],
    },
    vop: {
      alu: [OPCODE_BITS, `{name}_ctrl_valu op: ${Object.entries(CTRL_OPCODES).map(([k, v]) => `${k} ${v}`).join(", ")}`],
      len: [p.valu.len_w, "elements"],
      a: [p.cmem_aw, "CMEM word of operand a"],
      b: [p.cram_aw, "CRAM word of operand b (add, mul, rmsnorm)"],
      y: [p.cmem_aw, "CMEM word of the result"],
      shift: [p.valu.sh_w, "mul / requant shift"],
      mult: [p.valu.mb, "requant multiplier"],
      pos: [p.valu.pos_w, "RoPE position"],
    },
    st_bmem: {
      bank: [p.bank_w, "bank (chip-wide index)"],
      addr: [b.bmem_addr_bits, "first BMEM word"],
      n: [p.cmem_nw, "CMEM words"],
      src: [p.cmem_aw, "first CMEM word"],
    },
    cp_cram: { src: [p.cmem_aw, "first CMEM word"], dst: [p.cram_aw, "first CRAM word"], n: [p.cp_nw, "words"] },
    st_vt: {
      bank: [p.bank_w, "bank (chip-wide index)"],
      addr: [b.bmem_addr_bits, "BMEM word of field 0"],
      stride: [b.bmem_addr_bits, "BMEM words from one field's word to the next"],
      field: [Math.max(1, clog2(b.kv_per_word)), `field of the word (0 .. ${b.kv_per_word - 1})`],
      n: [p.vt_nw, "kv_bits fields"],
      src: [p.cmem_aw, "first CMEM word"],
      spread: [clog2(p.banks_per_die + 1), "0: bank `bank` only; L: banks 0 .. L-1 of every die, field e to slot e mod (L × dies)"],
    },
  };
}

/** Every field's bit position: fields follow the opcode in INSTRUCTION_FIELDS order. */
export function instructionLayout(p: Omit<ChipParams, "cmd_bits" | "layout">): { layout: FieldLayout[]; cmd_bits: number } {
  const widths = fieldWidths(p);
  const layout: FieldLayout[] = [];
  let longest = OPCODE_BITS;
  for (const op of Object.keys(OPCODES) as Opcode[]) {
    let lsb = OPCODE_BITS;
    for (const field of INSTRUCTION_FIELDS[op] as readonly string[]) {
      const [width, doc] = widths[op][field]!;
      layout.push({ op, field, lsb, width, doc: doc.replaceAll("{name}", p.name) });
      lsb += width;
    }
    longest = Math.max(longest, lsb);
  }
  return { layout, cmd_bits: 32 * Math.ceil(longest / 32) };
}

export function chipParams(loaded: LoadedSpec): ChipParams {
  const { spec } = loaded;
  const where = `spec ${loaded.file}`;
  const bank = bankParams(loaded);
  const bus = interconnectParams(loaded);
  const ctrl = ctrlParams(loaded);
  const c = spec.chip.controller;
  const act_bits = spec.numerics.activation_bits;
  const host_bits = c.mem_bits;
  const cmem_depth = Math.floor((c.cmem_bytes * 8) / host_bits);
  const cram_depth = Math.floor((c.cram_bytes * 8) / host_bits);
  if (cmem_depth < 2) {
    throw new UserError(`${where}: chip.controller.cmem_bytes: ${c.cmem_bytes} holds ${cmem_depth} words of chip.controller.mem_bits (${host_bits}); the controller needs at least 2 (${Math.ceil((2 * host_bits) / 8)} bytes)`);
  }
  if (cram_depth < 2) {
    throw new UserError(`${where}: chip.controller.cram_bytes: ${c.cram_bytes} holds ${cram_depth} words of chip.controller.mem_bits (${host_bits}); the controller needs at least 2 (${Math.ceil((2 * host_bits) / 8)} bytes)`);
  }
  const banks = spec.chip.dies * spec.chip.banks_per_die;
  const { iw, ow } = valuWidths(ctrl);
  const lanes = ctrl.lanes;
  const base = {
    name: spec.name,
    dies: spec.chip.dies,
    banks_per_die: spec.chip.banks_per_die,
    banks,
    bank,
    bus,
    ctrl,
    act_bits,
    host_bits,
    host_elems: host_bits / act_bits,
    cmem_depth,
    cmem_aw: clog2(cmem_depth),
    cram_depth,
    cram_aw: clog2(cram_depth),
    cmem_nw: clog2(cmem_depth + 1),
    cram_nw: clog2(cram_depth + 1),
    ld_nw: clog2(Math.ceil((bank.bmem_depth * bank.read_bits) / host_bits) + 1),
    bank_w: Math.max(1, clog2(banks)),
    sel_w: clog2(banks + 1),
    cp_nw: clog2(Math.min(cmem_depth, cram_depth) + 1),
    vt_nw: clog2(bank.bmem_depth + 1),
    rows_w: bank.rows_bits,
    a_slice_w: Math.max(1, clog2(bank.bram_slices)),
    hsh_w: Math.max(1, clog2(clog2(banks) + 1)),
    hstep_w: clog2(clog2(bank.bram_depth * bank.bram_slices) + 2),
    m2b: gearbox(host_bits, bus.bcast_bits, gcd(host_bits, bus.bcast_bits)),
    // Gather beats are compacted to the words of the dies that sent one: the unit divides a link word.
    b2m: gearbox(bus.bcast_bits, host_bits, gcd(host_bits, bus.link_bits)),
    // ALU streams move whole elements: the unit is one activation.
    m2v: gearbox(host_bits, lanes * act_bits, act_bits),
    v2m: gearbox(lanes * act_bits, host_bits, act_bits),
    valu: {
      lanes,
      a: ctrl.a,
      iw,
      ow,
      len_w: ctrl.lenBits,
      sh_w: Math.max(ctrl.requant.shBits, ctrl.ew.shBits),
      mb: ctrl.requant.multBits,
      pos_w: ctrl.rope.posBits,
      ops: ctrl.ops,
    },
  };
  return { ...base, ...instructionLayout(base) };
}

/** An instruction as the compiler / testbench writes it (optional fields default to 0). */
export type Instruction = {
  [O in Opcode]: { op: O } & { [F in Exclude<FieldOf<O>, OptionalOf<O>>]: number | bigint } & { [F in OptionalOf<O>]?: number | bigint };
}[Opcode];

/** The command word of an instruction; throws when a field does not fit its width. */
/**
 * The banks dealt round-robin over the dies (die 0's bank 0, die 1's bank 0, …, die 0's bank 1, …):
 * slot s is bank (s mod dies) × banks_per_die + floor(s / dies). gemv's hsh/hstep and st_vt's
 * spread name banks by slot (the RTL's SLOT of a bank, DIE and l of a die); the compiler deals
 * heads to banks in this order.
 */
export function bankOfSlot(p: Pick<ChipParams, "dies" | "banks_per_die">, slot: number): number {
  return (slot % p.dies) * p.banks_per_die + Math.floor(slot / p.dies);
}

/** A bank's slot (the inverse of bankOfSlot). */
export function slotOfBank(p: Pick<ChipParams, "dies" | "banks_per_die">, bank: number): number {
  return (bank % p.banks_per_die) * p.dies + Math.floor(bank / p.banks_per_die);
}

/** The banks a gemv runs on: its mask, every bank when left out. */
export function gemvMask(p: ChipParams, instr: Extract<Instruction, { op: "gemv" }>): bigint {
  return instr.mask === undefined ? (1n << BigInt(p.banks)) - 1n : BigInt(instr.mask);
}

export function encodeInstruction(p: ChipParams, instr: Instruction): bigint {
  let word = BigInt(OPCODES[instr.op]);
  const fields = (instr.op === "gemv" ? { ...instr, mask: gemvMask(p, instr) } : instr) as unknown as Record<string, number | bigint>;
  for (const f of p.layout.filter((l) => l.op === instr.op)) {
    const v = BigInt(fields[f.field] ?? 0);
    if (v < 0n || v >= 1n << BigInt(f.width)) throw new Error(`${instr.op}.${f.field} = ${v} does not fit ${f.width} bits`);
    word |= v << BigInt(f.lsb);
  }
  return word;
}

/** Bits of the controller's word / element counters. */
export function controllerCountBits(p: ChipParams): number {
  return Math.max(p.cmem_nw, p.cram_nw, p.ld_nw, p.cp_nw, p.vt_nw, p.valu.len_w, clog2(p.valu.lanes + 1), clog2(p.host_elems + 1));
}

/** The field of an instruction, for the templates: `f_<op>_<field>` = s_cmd_tdata[lsb +: width]. */
function layoutForTemplate(p: ChipParams): { wire: string; lsb: number; width: number; msb: number; op: string; field: string; doc: string; code: number }[] {
  return p.layout.map((f) => ({ wire: `f_${f.op}_${f.field}`, lsb: f.lsb, width: f.width, msb: f.lsb + f.width - 1, op: f.op, field: f.field, doc: f.doc, code: OPCODES[f.op] }));
}

export function gearboxModule(p: ChipParams): RtlModule {
  return rtlModule(`${p.name}_gearbox`, render("rtl/gearbox.v.hbs", { name: p.name, ...p.m2b }));
}

/** `expr` (`from` bits) zero-extended to `to` bits, without a zero-width replication. */
function zext(expr: string, from: number, to: number): string {
  if (from > to) throw new Error(`rtl: ${expr} is ${from} bits, wider than ${to}`);
  return from === to ? expr : `{ {${to - from}{1'b0}}, ${expr}}`;
}

export function controllerModule(p: ChipParams): RtlModule {
  const ops = (Object.keys(OPCODES) as Opcode[]).map((op) => ({
    op,
    code: OPCODES[op],
    fields: layoutForTemplate(p).filter((f) => f.op === op),
  }));
  const nw = controllerCountBits(p);
  const mw = Math.max(p.cmem_aw, p.cram_aw);
  const f = (op: Opcode, field: string): number => p.layout.find((l) => l.op === op && l.field === field)!.width;
  const x = {
    wr_cmem_n: zext("f_wr_cmem_n", f("wr_cmem", "n"), nw),
    wr_cram_n: zext("f_wr_cram_n", f("wr_cram", "n"), nw),
    rd_cmem_n: zext("f_rd_cmem_n", f("rd_cmem", "n"), nw),
    ld_bmem_n: zext("f_ld_bmem_n", f("ld_bmem", "n"), nw),
    bcast_n: zext("f_bcast_n", f("bcast", "n"), nw),
    st_bmem_n: zext("f_st_bmem_n", f("st_bmem", "n"), nw),
    cp_cram_n: zext("f_cp_cram_n", f("cp_cram", "n"), nw),
    st_vt_n: zext("f_st_vt_n", f("st_vt", "n"), nw),
    st_vt_bank: zext("f_st_vt_bank", p.bank_w, p.bus.tgt_w),
    st_vt_field: zext("f_st_vt_field", f("st_vt", "field"), p.bus.vt_fw),
    cp_cram_dst: zext("f_cp_cram_dst", p.cram_aw, mw),
    st_bmem_bank: zext("f_st_bmem_bank", p.bank_w, p.bus.tgt_w),
    st_bmem_addr: zext("f_st_bmem_addr", p.bank.bmem_addr_bits, p.bus.addr_w),
    vop_len: zext("f_vop_len", f("vop", "len"), nw),
    gm_rows: zext("gm_rows_r", p.bus.count_w, p.rows_w),
    y_units: zext("y_units", clog2(p.valu.lanes + 1), nw),
    wr_cmem_addr: zext("f_wr_cmem_addr", p.cmem_aw, mw),
    wr_cram_addr: zext("f_wr_cram_addr", p.cram_aw, mw),
    gather_addr: zext("f_gather_addr", p.cmem_aw, mw),
    vop_y: zext("f_vop_y", p.cmem_aw, mw),
    ld_bmem_bank: zext("f_ld_bmem_bank", p.bank_w, p.bus.tgt_w),
    ld_bmem_addr: zext("f_ld_bmem_addr", p.bank.bmem_addr_bits, p.bus.addr_w),
    bcast_bram: zext("f_bcast_bram", p.bank.bram_addr_bits, p.bus.addr_w),
  };
  // bcast's target: 0 (every BRAM) or {1, k + 1} (bank k's BRAM): see {name}_die.
  if (p.bus.tgt_w !== p.sel_w + 1) throw new Error(`rtl: broadcast target (${p.bus.tgt_w} bits) is not the bank select (${p.sel_w}) and a flag`);
  return rtlModule(
    `${p.name}_controller`,
    render("rtl/controller.v.hbs", {
      name: p.name,
      p,
      ops,
      fields: layoutForTemplate(p),
      alu: CTRL_OPCODES,
      alu_built: Array.from({ length: 16 }, (_, k) => (builtAluOp(p.valu.ops, k) ? "1" : "0")).reverse().join(""),
      alu_built_names: p.valu.ops.join(", "),
      x,
      nw,
      bmem_aw: p.bank.bmem_addr_bits,
      bram_aw: p.bank.bram_addr_bits,
      cols_w: p.bank.cols_bits,
      v_iw_pad: p.valu.iw - p.valu.a,
      spread_w: f("st_vt", "spread"),
    }),
    [`${p.name}_dpram`, `${p.name}_gearbox`, `${p.name}_ctrl_valu`],
  );
}

export function chipModule(p: ChipParams): RtlModule {
  return rtlModule(
    `${p.name}_chip`,
    render("rtl/chip.v.hbs", {
      name: p.name,
      p,
      bmem_aw: p.bank.bmem_addr_bits,
      bram_aw: p.bank.bram_addr_bits,
      cols_w: p.bank.cols_bits,
    }),
    [`${p.name}_controller`, `${p.name}_interconnect`, `${p.name}_bank`],
  );
}

/** The controller's and the chip's own modules (the ALUs come from ctrl_index.ts). */
export function chipModules(p: ChipParams, loaded: LoadedSpec): RtlModule[] {
  return [...controllerRtlModules(loaded), gearboxModule(p), controllerModule(p), chipModule(p)];
}
