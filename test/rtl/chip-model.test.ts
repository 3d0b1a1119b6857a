// The chip's instruction encoding, golden model and cycle model, without Verilator: hand-computed
// cycle counts, the closed forms against the stepped width-converter model, and the golden chain
// (bank GEMV → requantise → pack → gather) against the plain matrix product.
import { describe, expect, it } from "vitest";
import { broadcastCycles, bmemLoadCycles } from "../../generator/model/cycles-bus.js";
import {
  bcastCycles,
  busTransferTiming,
  cpCramCycles,
  gatherInstrCycles,
  gearboxDrain,
  gearboxSteps,
  instructionCycles,
  ldBmemCycles,
  programCycles,
  SEQ_OVERHEAD,
  stBmemCycles,
  stVtCycles,
  vopCycles,
} from "../../generator/model/cycles-chip.js";
import { ctrlOpCycles, ctrlShape } from "../../generator/model/cycles-controller.js";
import { chipParams, encodeInstruction, OPCODES, type Instruction } from "../../generator/rtl/chip.js";
import { CTRL_OPCODES } from "../../generator/rtl/ctrl_valu.js";
import { loadSpec, type LoadedSpec } from "../../generator/spec/load.js";
import { ChipModel, joinWords, unpackElements } from "../../sim/golden/chip.js";
import { gemmProgram, gemvProgram } from "../../sim/tests/chip.js";
import { prng } from "../../sim/prng.js";
import { programProblems } from "../../generator/compiler/check-program.js";
import type { Program } from "../../generator/compiler/program.js";
import { chipVariant } from "../fixtures.js";

const tiny = loadSpec("specs/tiny.json");
const ice40 = loadSpec("specs/fpga-ice40.json");

describe("instruction encoding", () => {
  it.each([
    ["tiny", tiny],
    ["fpga-ice40", ice40],
    ["aim-llama7b", loadSpec("specs/aim-llama7b.json")],
  ])("%s: every field after the opcode, no overlaps, inside CMD_BITS (a multiple of 32)", (_, loaded) => {
    const p = chipParams(loaded);
    expect(p.cmd_bits % 32).toBe(0);
    for (const op of Object.keys(OPCODES)) {
      const fields = p.layout.filter((f) => f.op === op);
      let next = 4;
      for (const f of fields) {
        expect(f.lsb).toBe(next);
        next += f.width;
      }
      expect(next).toBeLessThanOrEqual(p.cmd_bits);
    }
  });

  it("encodes fields at their positions and rejects values that do not fit", () => {
    const p = chipParams(tiny);
    // tiny: gemv rows [11:4], cols [22:12], w_base [34:23], a_base [41:35], shift [46:42], kv [47],
    // mask [55:48] (8 banks; left out = every bank), pitch [67:56] (BMEM words: 16384 × 8 / 32 = 4096, 12 bits).
    const w = encodeInstruction(p, { op: "gemv", rows: 16, cols: 1024, w_base: 3, a_base: 2, shift: 5 });
    expect(w).toBe(6n | (16n << 4n) | (1024n << 12n) | (3n << 23n) | (2n << 35n) | (5n << 42n) | (0xffn << 48n));
    const kv = encodeInstruction(p, { op: "gemv", rows: 1, cols: 2, w_base: 0, a_base: 0, shift: 0, kv: 1, mask: 0x21n, pitch: 4095 });
    expect(kv).toBe(6n | (1n << 4n) | (2n << 12n) | (1n << 47n) | (0x21n << 48n) | (4095n << 56n));
    expect(() => encodeInstruction(p, { op: "gemv", rows: 1, cols: 1, w_base: 0, a_base: 0, shift: 0, mask: 0x100n })).toThrow(/mask = 256 does not fit 8 bits/);
    expect(() => encodeInstruction(p, { op: "gemv", rows: 256, cols: 1, w_base: 0, a_base: 0, shift: 0 })).toThrow(/rows = 256 does not fit 8 bits/);
  });

  it("tiny: bcast keeps its all-banks encoding (bank left out = 0) and takes bank k + 1 in [33:30]; st_bmem and cp_cram", () => {
    const p = chipParams(tiny);
    // bcast addr [12:4], n [22:13], bram [29:23], bank [33:30].
    const all = 5n | (7n << 4n) | (3n << 13n) | (2n << 23n);
    expect(encodeInstruction(p, { op: "bcast", addr: 7, n: 3, bram: 2 })).toBe(all);
    expect(encodeInstruction(p, { op: "bcast", addr: 7, n: 3, bram: 2, bank: 0 })).toBe(all);
    expect(encodeInstruction(p, { op: "bcast", addr: 7, n: 3, bram: 2, bank: 8 })).toBe(all | (8n << 30n));
    expect(() => encodeInstruction(p, { op: "bcast", addr: 0, n: 1, bram: 0, bank: 16 })).toThrow(/bank = 16 does not fit 4 bits/);
    // st_bmem bank [6:4], addr [18:7], n [28:19], src [37:29]; cp_cram src [12:4], dst [17:13], n [23:18].
    expect(encodeInstruction(p, { op: "st_bmem", bank: 5, addr: 100, n: 6, src: 9 })).toBe(9n | (5n << 4n) | (100n << 7n) | (6n << 19n) | (9n << 29n));
    expect(encodeInstruction(p, { op: "cp_cram", src: 17, dst: 3, n: 31 })).toBe(10n | (17n << 4n) | (3n << 13n) | (31n << 18n));
    expect(p.cmd_bits).toBe(96);
  });
});

describe("chip cycle model", () => {
  it("the gearbox stepped beat by beat equals its closed form for full beats; a compacted gather's partial beats", () => {
    for (const [i, o] of [[1, 1], [2, 1], [1, 2], [4, 3], [3, 4], [8, 2], [2, 8], [5, 25], [64, 25]] as const) {
      for (let b = 1; b < 12; b++) expect([i, o, b, gearboxSteps(i, o, Array(b).fill(i))]).toEqual([i, o, b, gearboxDrain(i, o, b, b * i)]);
    }
    // 2 units in, 2 out (tiny's gather: a 64-bit beat of two 32-bit die words into 64-bit words):
    // beats of 2, 2, 1 unit(s) leave at edges 1, 2, 3 — one word a beat, the last half empty.
    expect(gearboxSteps(2, 2, [2, 2, 1])).toBe(3);
    // Beats of 1 unit into 2-unit words: two beats a word, the last word leaves after the last beat.
    expect(gearboxSteps(2, 2, [1, 1, 1])).toBe(3);
  });

  it("tiny by hand: st_vt of 16 fields = λ 4 + 2 beats held 8 cycles each (one field a cycle) + the rest as st_bmem", () => {
    const p = chipParams(tiny);
    // 16 fields of 8 bits = 2 CMEM words = 2 beats of 64 bits (8 fields each); st_bmem of 2 words
    // holds each beat 2 cycles (two 32-bit BMEM words): 6 cycles more.
    expect(stVtCycles(p, 16).cycles - stBmemCycles(p, 2).cycles).toBe(2 * 8 - 2 * 2);
    // 9 fields: the second beat holds the die one cycle.
    expect(stVtCycles(p, 9).cycles - stBmemCycles(p, 2).cycles).toBe(8 + 1 - 2 * 2);
    expect(stVtCycles(p, 0).cycles).toBe(1);
  });

  it("tiny by hand: bcast of 128 words = λ 4 + 128 beats + fan-out 2 + 4; ld_bmem of 1024 words = 4 + 2048 + 2 + 3; gemv 16 × 1024 = 2 while the banks run 2054; gather = 1 + 4 + 16 + 2 after them", () => {
    const p = chipParams(tiny);
    expect(bcastCycles(p, 128).cycles).toBe(138);
    expect(ldBmemCycles(p, 1024).cycles).toBe(2057);
    const prog: Instruction[] = [
      { op: "gemv", rows: 16, cols: 1024, w_base: 0, a_base: 0, shift: 4 },
      { op: "gather", mask: 0xffn, addr: 0 },
    ];
    // gemv accepted at edge 0 starts the banks at edge 1 and ends (next accept at edge 2); the banks'
    // last result at edge 1 + 2054, idle seen from edge 2056: the gather (accepted at 2) sends its
    // command at 2056 instead of 3, 2053 cycles later than with idle banks.
    expect(programCycles(p, tiny.derived, prog).map((c) => c.cycles)).toEqual([2, 23 + 2053]);
    // A bcast of 3 words (4 + 3 + 2 + 4 = 13 cycles) between them runs while the banks compute: the
    // gather waits 13 cycles less.
    const overlapped: Instruction[] = [prog[0]!, { op: "bcast", addr: 0, n: 3, bram: 100 }, prog[1]!];
    expect(programCycles(p, tiny.derived, overlapped).map((c) => c.cycles)).toEqual([2, 13, 23 + 2053 - 13]);
    // Two GEMVs back to back: the second (accepted at 2) starts the banks at 2056 and ends at 2057;
    // its last result at 2056 + 2054, idle from 4111; the gather accepted at 2057 waits 4111 - 2058.
    const two: Instruction[] = [prog[0]!, prog[0]!, prog[1]!];
    expect(programCycles(p, tiny.derived, two).map((c) => c.cycles)).toEqual([2, 2055, 23 + 2053]);
  });

  it("tiny by hand: st_bmem of 6 words = λ 4 + 6 beats × 2 BMEM words + 2 + 4; bcast to one bank = to all; cp_cram of 31 words = 33", () => {
    const p = chipParams(tiny);
    expect(stBmemCycles(p, 6).cycles).toBe(4 + 12 + 2 + 4);
    expect(ldBmemCycles(p, 6).cycles + 1).toBe(stBmemCycles(p, 6).cycles);
    const one = instructionCycles(p, tiny.derived, { op: "bcast", addr: 0, n: 3, bram: 0, bank: 4 });
    expect(one.cycles).toBe(4 + 3 + 2 + 4);
    expect(one).toEqual(instructionCycles(p, tiny.derived, { op: "bcast", addr: 0, n: 3, bram: 0 }));
    expect(cpCramCycles(31).cycles).toBe(33);
    expect(instructionCycles(p, tiny.derived, { op: "cp_cram", src: 0, dst: 0, n: 0 }).cycles).toBe(1);
    expect(instructionCycles(p, tiny.derived, { op: "st_bmem", bank: 0, addr: 0, n: 0, src: 0 }).cycles).toBe(1);
  });

  it("fpga-ice40 by hand: st_bmem of 4 words (16-bit words = beats, λ 2, a BMEM word a beat) = 2 + 4 + 2 + 4", () => {
    const p = chipParams(ice40);
    expect(stBmemCycles(p, 4).cycles).toBe(12);
  });

  it("the closed forms equal the stepped converter model when a host word is at least a beat", () => {
    for (const loaded of [tiny, ice40]) {
      const p = chipParams(loaded);
      for (const n of [1, 2, 3, 7, 64]) {
        const beats = Math.ceil((n * p.host_bits) / p.bus.bcast_bits);
        expect(busTransferTiming(p, n, "cmem", "bram")).toBe(broadcastCycles(p.bus, beats) + SEQ_OVERHEAD.bcast);
        expect(busTransferTiming(p, n, "host", "bmem")).toBe(bmemLoadCycles(p.bus, beats) + SEQ_OVERHEAD.ld_bmem);
        expect(busTransferTiming(p, n, "cmem", "bmem")).toBe(bmemLoadCycles(p.bus, beats) + SEQ_OVERHEAD.st_bmem);
      }
    }
  });

  it("host words narrower than a beat (48 of 64 bits): the converter sets the pace", () => {
    const p = chipParams(chipVariant());
    // 4 words = 192 bits = 3 beats; each beat needs 4/3 words: slower than one beat per cycle.
    const c = bcastCycles(p, 4).cycles;
    expect(c).toBeGreaterThanOrEqual(broadcastCycles(p.bus, 3) + SEQ_OVERHEAD.bcast);
    expect(c).toBeLessThanOrEqual(broadcastCycles(p.bus, 4) + SEQ_OVERHEAD.bcast + 2);
  });

  it("gearbox drain: back to back when a beat is at least a word; one or two cycles after the last beat otherwise", () => {
    expect(gearboxDrain(4, 3, 3, 12)).toBe(4); // 12 units in words of 3: 4 outputs
    expect(gearboxDrain(2, 3, 3, 6)).toBe(3); // exact fit: with the last input
    expect(gearboxDrain(2, 3, 2, 4)).toBe(3); // 4 units: a full word with the last beat, then the flush
    expect(gearboxDrain(2, 3, 1, 2)).toBe(1);
  });

  it("gather and vop: the block formula plus the sequencer's overheads when widths are equal", () => {
    const p = chipParams(tiny);
    const all = Array.from({ length: p.banks }, () => true);
    // 16 results per bank = 4 words, 4 banks per die: 16 words on each return link.
    expect(gatherInstrCycles(p, 16, all).cycles).toBe(1 + 4 + 16 + SEQ_OVERHEAD.gather);
    expect(vopCycles(p, tiny.derived, CTRL_OPCODES.softmax, 16).cycles).toBe(ctrlOpCycles(ctrlShape(tiny.derived), "softmax", 16) + SEQ_OVERHEAD.vop);
    expect(gatherInstrCycles(p, 16, all.map(() => false)).cycles).toBe(1);
  });
});

describe("chip golden model", () => {
  // The presets and a variant with other widths (fixtures.ts chipVariant).
  const CHIPS: [string, LoadedSpec][] = [
    ["tiny", tiny],
    ["fpga-ice40", ice40],
    ["variant", chipVariant()],
  ];

  it.each(CHIPS)("%s: a GEMV through ld_bmem, bcast, gemv, gather equals the plain matrix product, requantised, in natural row order", (_, loaded) => {
    const p = chipParams(loaded);
    const setup = gemvProgram(p, prng(3), { rows: 2 * p.bus.per_word, cols: 3 * p.bank.lanes + 1 });
    const m = new ChipModel(p);
    m.send(setup.prog.data);
    for (const i of setup.prog.instrs) m.run(i);
    const words = m.hostOut.map((o) => o.data);
    const elems = unpackElements(joinWords(words, p.host_bits), p.act_bits, setup.natural!.length).map((v) => BigInt.asUintN(p.act_bits, v));
    expect(elems).toEqual(setup.natural);
  });

  it.each(CHIPS)("%s: st_bmem writes BMEM as ld_bmem does with the same words; bcast to bank k writes only k's BRAM; cp_cram copies CMEM to CRAM", (_, loaded) => {
    const p = chipParams(loaded);
    const r = prng(5);
    const words = Array.from({ length: 5 }, () => r.bits(p.host_bits));
    const host = new ChipModel(p);
    host.send(words);
    host.run({ op: "ld_bmem", bank: p.banks - 1, addr: 2 * p.bus.bmem_split, n: words.length });
    const chip = new ChipModel(p);
    chip.send(words);
    chip.run({ op: "wr_cmem", addr: 3, n: words.length });
    chip.run({ op: "st_bmem", bank: p.banks - 1, addr: 2 * p.bus.bmem_split, n: words.length, src: 3 });
    expect([...chip.bmem[p.banks - 1]!.entries()]).toEqual([...host.bmem[p.banks - 1]!.entries()]);
    expect(chip.bmem[p.banks - 1]!.size).toBeGreaterThan(0);
    for (let k = 0; k < p.banks - 1; k++) expect(chip.bmem[k]!.size).toBe(0);
    // bcast to every bank, then bank k's own vector: the others keep the first.
    const x = Array.from({ length: 2 }, () => r.bits(p.host_bits));
    const q = Array.from({ length: 2 }, () => r.bits(p.host_bits));
    chip.send([...x, ...q]);
    chip.run({ op: "wr_cmem", addr: 0, n: 2 });
    chip.run({ op: "wr_cmem", addr: 2, n: 2 });
    chip.run({ op: "bcast", addr: 0, n: 2, bram: 1 });
    const before = chip.bram.map((m) => [...m.entries()]);
    const k = p.banks - 1;
    chip.run({ op: "bcast", addr: 2, n: 2, bram: 1, bank: k + 1 });
    chip.bram.forEach((m, b) => {
      if (b === k) expect([...m.entries()]).not.toEqual(before[b]);
      else expect([...m.entries()]).toEqual(before[b]);
    });
    expect(() => chip.run({ op: "bcast", addr: 0, n: 1, bram: 0, bank: p.banks + 1 })).toThrow(/names no bank/);
    chip.run({ op: "cp_cram", src: 2, dst: 1, n: 2 });
    expect(chip.cram.slice(0, 4)).toEqual([undefined, q[0], q[1], undefined]);
  });

  it("gather prev: the results of the GEMV before the running one, as a gather after it would; refused when the running GEMV's are the only ones, and flagged by the program checker", () => {
    const p = chipParams(tiny);
    const setup = gemvProgram(p, prng(4), { rows: p.bus.per_word, cols: p.bank.lanes });
    const gemv = setup.prog.instrs.find((i) => i.op === "gemv")!;
    const run = (instrs: Instruction[]): ChipModel => {
      const m = new ChipModel(p);
      m.send(setup.prog.data);
      for (const i of instrs) m.run(i);
      return m;
    };
    const head = setup.prog.instrs.slice(0, setup.prog.instrs.indexOf(gemv) + 1);
    const gather: Instruction = { op: "gather", mask: (1n << BigInt(p.banks)) - 1n, addr: 100 };
    // The same GEMV twice: gather prev after the second takes the first's results.
    const a = run([...head, gather]);
    const b = run([...head, gemv, { ...gather, prev: 1 }]);
    const words = (m: ChipModel) => Array.from({ length: 4 }, (_, i) => m.cmem[100 + i]);
    expect(words(b)).toEqual(words(a));
    expect(words(a).some((w) => w !== undefined)).toBe(true);
    expect(b.pending.filter((q) => q.length === 1).length).toBe(p.banks); // the second GEMV's results wait
    // Only the running GEMV's results: refused (they are not all packed yet).
    expect(() => run([...head, { ...gather, prev: 1 }])).toThrow(/gather prev of bank 0, whose only results are the running GEMV's/);
    const bad = { instrs: [...head, { ...gather, prev: 1 }].map((instr) => ({ instr, tag: { part: "host", stream: "weights", layer: null, what: instr.op } })), data: [], reads: [] };
    expect(programProblems(p, bad as unknown as Program).some((m) => /gather prev of bank 0/.test(m))).toBe(true);
  });

  it("refuses a gather of banks that have no results (the chip would wait for ever)", () => {
    const m = new ChipModel(chipParams(tiny));
    expect(() => m.run({ op: "gather", mask: 1n, addr: 0 })).toThrow(/no results/);
  });

  it.each(CHIPS)("%s: a GEMM's vectors gathered in order each equal the plain matrix product in natural row order; out of order is refused", (_, loaded) => {
    const p = chipParams(loaded);
    const setup = gemmProgram(p, prng(9));
    const m = new ChipModel(p);
    m.send(setup.prog.data);
    for (const i of setup.prog.instrs) m.run(i);
    const per = setup.natural![0]!.length / p.host_elems;
    setup.natural!.forEach((want, t) => {
      const words = m.hostOut.slice(t * Math.ceil(per), (t + 1) * Math.ceil(per)).map((o) => o.data);
      expect(unpackElements(joinWords(words, p.host_bits), p.act_bits, want.length).map((v) => BigInt.asUintN(p.act_bits, v))).toEqual(want);
    });
    // Vector 1 before vector 0: the packer would read the wrong words.
    const early = new ChipModel(p);
    early.send(setup.prog.data);
    const gemm = setup.prog.instrs.slice(0, setup.at.gemm + 1);
    for (const i of gemm) early.run(i);
    expect(() => early.run({ op: "gather", mask: 1n, addr: 0, tok: 1 })).toThrow(/in order/);
  });
});
