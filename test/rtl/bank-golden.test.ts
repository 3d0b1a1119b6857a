// The bank's golden model, cycle model and generator, without Verilator: hand-calculated values.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { UserError } from "../../generator/errors.js";
import { bankGemvCycles, bankGemvSchedule } from "../../generator/model/cycles.js";
import { bankParams, rtlFiles, rtlModules } from "../../generator/rtl/index.js";
import { loadSpec, parseSpec } from "../../generator/spec/load.js";
import type { Spec } from "../../generator/spec/schema.js";
import { bankGemv, bankMemories, gemvBeats, gemvReference, packActivations, packWeightRow } from "../../sim/golden/bank.js";
import { DpramModel } from "../../sim/golden/dpram.js";
import { macDot, packFields, signedField, wrap } from "../../sim/golden/mac.js";
import { prng } from "../../sim/prng.js";

const tiny = loadSpec("specs/tiny.json");
const tinyObject = (): Spec => JSON.parse(readFileSync("specs/tiny.json", "utf8")) as Spec;

describe("golden dpram: read-first", () => {
  it("a read at edge e sees writes of cycles < e, not the write of cycle e", () => {
    const m = new DpramModel("t", 8, 4);
    m.preload(1, 10n);
    m.write(5, 1, 20n);
    expect(m.readAt(5, 1)).toBe(10n); // same edge: old data
    expect(m.readAt(6, 1)).toBe(20n);
    expect(m.readAt(0, 2)).toBeUndefined(); // never written
    expect(() => m.write(5, 2, 1n)).toThrow(/two writes in cycle 5/);
    expect(() => m.write(7, 4, 1n)).toThrow(/out of range/);
    expect(() => m.write(8, 0, 256n)).toThrow(/does not fit/);
  });
});

describe("golden MAC: two's-complement wrap-around", () => {
  it("fields, packing and wrap by hand", () => {
    expect(signedField(0xf8n, 1, 4)).toBe(-1n);
    expect(signedField(0xf8n, 0, 4)).toBe(-8n);
    expect(packFields([-8n, -1n], 4)).toBe(0xf8n);
    // 10 × (-8 × -128) = 10240 = 0x2800; in 10 bits: 0x000 → 0; in 14 bits: 0x2800 - 0x4000 = -6144.
    const beats = [{ weights: Array(10).fill(-8n), activations: Array(10).fill(-128n), mask: Array(10).fill(true) }];
    expect(macDot(beats, 24)).toEqual({ exact: 10240n, value: 10240n, wrapped: false });
    expect(macDot(beats, 14).value).toBe(-6144n);
    expect(macDot(beats, 10).value).toBe(0n);
    expect(wrap(511n + 1n, 10).value).toBe(-512n);
  });
});

describe("golden bank GEMV", () => {
  it("equals the plain matrix product for random data (tiny)", () => {
    const p = bankParams(tiny);
    const rng = prng(42);
    const cmd = { w_base: 3, a_base: 2, rows: 5, cols: 37 };
    const weights = Array.from({ length: cmd.rows }, () => Array.from({ length: cmd.cols }, () => rng.signed(4)));
    const acts = Array.from({ length: cmd.cols }, () => rng.signed(8));
    const mem = bankMemories(p);
    weights.forEach((row, r) => packWeightRow(p, row, () => rng.signed(4)).forEach((w, k) => mem.bmem.preload(cmd.w_base + r * 5 + k, w)));
    packActivations(p, acts, () => rng.signed(8)).forEach((a, k) => mem.bram.preload(cmd.a_base + k, a));
    expect(bankGemv(p, mem, cmd, (j) => 1 + j)).toEqual(gemvReference(weights, acts, 24));
  });

  it("beats: 4 lanes on 8-weight words read each word twice, rows start on fresh words", () => {
    const s = tinyObject();
    s.chip.bank.mac_lanes = 4;
    const p = bankParams(parseSpec(s, "l4"));
    expect([p.lanes, p.weights_per_word, p.beats_per_word, p.tree_levels]).toEqual([4, 8, 2, 2]);
    // A 64-bit broadcast beat holds two 4-lane beats of 8-bit activations: BRAM words of 2 slices.
    expect([p.act_word_bits, p.bcast_bits, p.bram_width, p.bram_slices, p.bram_depth, p.max_cols]).toEqual([32, 64, 64, 2, 128, 1024]);
    // 10 columns: 3 beats per row (4 + 4 + 2), BMEM words 0,0,1 and BRAM word 0 slices 0,1 then
    // word 1 slice 0; row 1 from BMEM word 2 and BRAM word 0 again.
    const beats = gemvBeats(p, { w_base: 0, a_base: 0, rows: 2, cols: 10 });
    expect(beats.map((b) => [b.bmem_addr, b.sub, b.bram_addr, b.bram_slice, b.valid_lanes])).toEqual([
      [0, 0, 0, 0, 4],
      [0, 1, 0, 1, 4],
      [1, 0, 1, 0, 2],
      [2, 0, 0, 0, 4],
      [2, 1, 0, 1, 4],
      [3, 0, 1, 0, 2],
    ]);
  });

  it("equals the plain matrix product with 2-slice BRAM words (tiny, 4 lanes)", () => {
    const s = tinyObject();
    s.chip.bank.mac_lanes = 4;
    const p = bankParams(parseSpec(s, "l4"));
    const rng = prng(7);
    const cmd = { w_base: 1, a_base: 3, rows: 4, cols: 21 };
    const weights = Array.from({ length: cmd.rows }, () => Array.from({ length: cmd.cols }, () => rng.signed(4)));
    const acts = Array.from({ length: cmd.cols }, () => rng.signed(8));
    const mem = bankMemories(p);
    weights.forEach((row, r) => packWeightRow(p, row, () => rng.signed(4)).forEach((w, k) => mem.bmem.preload(cmd.w_base + r * 3 + k, w)));
    packActivations(p, acts, () => rng.signed(8)).forEach((a, k) => mem.bram.preload(cmd.a_base + k, a));
    expect(bankGemv(p, mem, cmd, (i) => 1 + i)).toEqual(gemvReference(weights, acts, 24));
  });
});

describe("cycle model of a bank GEMV", () => {
  it("tiny: 16 × 1024 is 16 × 128 words + latency 3 + log2(8) = 2054 cycles, 99.7 % of the roofline", () => {
    const c = bankGemvCycles(tiny.derived, 16, 1024);
    expect(c).toMatchObject({ words_per_row: 128, beats_per_row: 128, memory: 2048, compute: 2048, stream: 2048, latency: 6, total: 2054, roofline: 2048 });
    expect(c.roofline / c.total).toBeGreaterThan(0.95);
  });

  it("partial words round up per row; back-to-back commands pay the latency once", () => {
    const c = bankGemvCycles(tiny.derived, 3, 9); // 9 weights = 2 words per row
    expect([c.memory, c.total]).toEqual([6, 12]);
    const s = bankGemvSchedule(tiny.derived, [
      { at: 0, rows: 3, cols: 9 },
      { at: 0, rows: 2, cols: 8 },
    ]);
    expect(s.map((t) => [t.accept, t.results])).toEqual([
      [0, [8, 10, 12]],
      [6, [13, 14]],
    ]);
  });
});

describe("RTL generator", () => {
  it("the same spec gives byte-identical files, with the file list in dependency order", () => {
    const a = rtlFiles(loadSpec("specs/fpga-ice40.json"));
    const b = rtlFiles(loadSpec("specs/fpga-ice40.json"));
    expect([...a]).toEqual([...b]);
    const list = a.get("fpga_ice40.f")!.trim().split("\n");
    expect(list.indexOf("rtl/fpga_ice40_dpram.v")).toBeLessThan(list.indexOf("rtl/fpga_ice40_bank.v"));
    expect(list.indexOf("rtl/fpga_ice40_mac_array.v")).toBeLessThan(list.indexOf("rtl/fpga_ice40_bank.v"));
    for (const f of list) expect(a.has(f)).toBe(true);
  });

  it("bank parameters of tiny", () => {
    expect(bankParams(tiny)).toMatchObject({ lanes: 8, bmem_depth: 4096, bram_width: 64, bram_slices: 1, bram_depth: 128, max_cols: 1024, gemv_latency: 6 });
  });

  it("lanes that do not divide a word's weights: one clear UserError naming the field", () => {
    const s = tinyObject();
    s.chip.bank.mac_lanes = 3;
    // Loading for the RTL refuses it; the generator refuses a spec loaded without that check too.
    expect(() => parseSpec(s, "x", { rtl: true })).toThrow(UserError);
    expect(() => parseSpec(s, "x", { rtl: true })).toThrow(/chip\.bank\.mac_lanes: 3/);
    expect(() => rtlModules(parseSpec(s, "x"))).toThrow(/chip\.bank\.mac_lanes: 3/);
  });
});
