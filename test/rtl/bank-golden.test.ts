// The bank's golden model, cycle model and generator, without Verilator: hand-calculated values.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { UserError } from "../../generator/errors.js";
import { bankGemvCycles, bankGemvSchedule } from "../../generator/model/cycles.js";
import { bankParams, rtlFiles, rtlModules } from "../../generator/rtl/index.js";
import { checkRtl } from "../../generator/spec/checks.js";
import { loadSpec, parseSpec } from "../../generator/spec/load.js";
import type { Spec } from "../../generator/spec/schema.js";
import { bankGemv, bankMemories, gemvBeats, gemvReadSlots, gemvReference, packActivations, packWeightRow } from "../../sim/golden/bank.js";
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

describe("golden bank GEMM (cmd_batch: prefill's tiles)", () => {
  it("beats: each beat issued once per vector, BMEM read in the first, BRAM a stride further for each vector", () => {
    const p = bankParams(tiny); // 8 lanes, one beat per 32-bit word, one beat per 64-bit BRAM word
    // 2 rows × 10 columns (2 beats: 8 + 2 lanes) against 3 vectors 5 BRAM words apart from word 1.
    const beats = gemvBeats(p, { w_base: 4, a_base: 1, rows: 2, cols: 10, batch: 3, a_stride: 5 });
    expect(beats.map((b) => [b.row, b.beat, b.tok, b.bmem_addr, b.bmem_slot, b.slot, b.bram_addr, b.bram_slice, b.valid_lanes])).toEqual([
      [0, 0, 0, 4, 0, 0, 1, 0, 8],
      [0, 0, 1, 4, 0, 1, 6, 0, 8],
      [0, 0, 2, 4, 0, 2, 11, 0, 8],
      [0, 1, 0, 5, 3, 3, 2, 0, 2],
      [0, 1, 1, 5, 3, 4, 7, 0, 2],
      [0, 1, 2, 5, 3, 5, 12, 0, 2],
      [1, 0, 0, 6, 6, 6, 1, 0, 8],
      [1, 0, 1, 6, 6, 7, 6, 0, 8],
      [1, 0, 2, 6, 6, 8, 11, 0, 8],
      [1, 1, 0, 7, 9, 9, 2, 0, 2],
      [1, 1, 1, 7, 9, 10, 7, 0, 2],
      [1, 1, 2, 7, 9, 11, 12, 0, 2],
    ]);
    expect(gemvReadSlots(p, { w_base: 0, a_base: 0, rows: 2, cols: 10, batch: 3, a_stride: 5 })).toBe(12);
    // KV mode has no GEMM: batch is taken as 1.
    expect(gemvBeats(p, { w_base: 0, a_base: 0, rows: 2, cols: 10, kv: true, batch: 3, a_stride: 5 }).every((b) => b.tok === 0)).toBe(true);
  });

  it("results are row-major and equal the plain products, by hand: weights 1 and -1 against vectors of 1, 2, 3", () => {
    const p = bankParams(tiny);
    const mem = bankMemories(p);
    // Row 0: ten weights 1; row 1: ten weights -1. Vector t: ten activations t + 1.
    [1n, -1n].forEach((w, r) => packWeightRow(p, Array(10).fill(w), () => 7n).forEach((x, k) => mem.bmem.preload(r * 2 + k, x)));
    [1n, 2n, 3n].forEach((a, t) => packActivations(p, Array(10).fill(a), () => -5n).forEach((x, k) => mem.bram.preload(t * 2 + k, x)));
    const dots = bankGemv(p, mem, { w_base: 0, a_base: 0, rows: 2, cols: 10, batch: 3, a_stride: 2 }, (s) => 1 + s);
    expect(dots.map((d) => d.value)).toEqual([10n, 20n, 30n, -10n, -20n, -30n]);
  });

  it("cycles: B × rows × beats + latency; result (r, t) at ((r + 1) × beats − 1) × B + t + 1 + latency", () => {
    // tiny: 8 lanes, latency 3 + log2 8 = 6. 2 rows × 10 columns = 2 beats a row; B = 3.
    const c = bankGemvCycles(tiny.derived, 2, 10, { batch: 3 });
    expect(c).toMatchObject({ memory: 4, compute: 12, stream: 12, latency: 6, total: 18, batch: 3, beats_per_row: 2 });
    const [t] = bankGemvSchedule(tiny.derived, [{ at: 0, rows: 2, cols: 10, batch: 3 }]);
    // Row 0's last beat issues in slots 3, 4, 5 (vectors 0, 1, 2); row 1's in slots 9, 10, 11.
    expect(t!.results).toEqual([3 + 7, 4 + 7, 5 + 7, 9 + 7, 10 + 7, 11 + 7]);
    // batch 1 is the GEMV, and KV mode ignores batch.
    expect(bankGemvCycles(tiny.derived, 2, 10, { batch: 1 })).toEqual(bankGemvCycles(tiny.derived, 2, 10));
    expect(bankGemvCycles(tiny.derived, 2, 10, { kv: true, batch: 3 }).total).toBe(bankGemvCycles(tiny.derived, 2, 10, { kv: true }).total);
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

describe("KV mode (cmd_kv = 1): golden bank and cycle formula by hand", () => {
  const variantOf = (name: string, edit: (s: Spec) => void) => {
    const s = tinyObject();
    s.name = name;
    edit(s);
    return parseSpec(s, name, { rtl: true });
  };

  it("tiny: a KV beat (8 lanes × 8 bits) spans 2 words of 4 fields; rows of ceil(cols / 4) words; a row's last beat reads only its words", () => {
    const p = bankParams(tiny);
    expect([p.kv_bits, p.kv_per_word, p.kv_words_per_beat, p.kv_beats_per_word, p.mul_bits, p.tree_bits]).toEqual([8, 4, 2, 1, 8, 19]);
    // 9 columns: 3 words a row; beat 0 = words 0-1 (read slots 0, 1), beat 1 = column 8 alone, word 2 (slot 2).
    const cmd = { w_base: 10, a_base: 0, rows: 2, cols: 9, kv: true };
    expect(gemvBeats(p, cmd).map((b) => [b.bmem_addr, b.bmem_words, b.slot, b.bram_addr, b.valid_lanes])).toEqual([
      [10, 2, 0, 0, 8],
      [12, 1, 2, 1, 1],
      [13, 2, 3, 0, 8],
      [15, 1, 5, 1, 1],
    ]);
    expect(gemvReadSlots(p, cmd)).toBe(6);
    // memory = 2 rows × 3 words = 6 > compute 2 × ceil(9 / 8) = 4; latency 3 + log2(8) = 6.
    expect(bankGemvCycles(tiny.derived, 2, 9, { kv: true })).toMatchObject({ words_per_row: 3, memory: 6, compute: 4, stream: 6, latency: 6, total: 12, roofline: 4.5 });
    // Weight mode unchanged: 9 weights = 2 words a row, 2 beats.
    expect(bankGemvCycles(tiny.derived, 2, 9)).toMatchObject({ words_per_row: 2, memory: 4, stream: 4, total: 10 });
    // 16 × 1024: 256 words a row, at one word per cycle = the KV roofline (16 × 1024 bytes / 4 bytes per cycle).
    expect(bankGemvCycles(tiny.derived, 16, 1024, { kv: true })).toMatchObject({ memory: 4096, compute: 2048, stream: 4096, total: 4102, roofline: 4096 });
  });

  it("tiny: a KV dot product by hand, fields packed as in the RTL header, words of a beat read at their own edges (read-first)", () => {
    const p = bankParams(tiny);
    const kv = [-128n, 127n, -1n, 2n, 3n, -4n, 5n, -6n, 7n];
    const acts = [-128n, -128n, 1n, 1n, 1n, 1n, 1n, 1n, 2n];
    // columns 0-3: 16384 - 16256 - 1 + 2 = 129; 4-7: 3 - 4 + 5 - 6 = -2; 8: 7 × 2 = 14; 141 in all
    const words = packWeightRow(p, kv, () => -128n, true);
    expect(words).toEqual([0x02ff7f80n, 0xfa05fc03n, 0x80808007n]);
    const mem = bankMemories(p);
    words.forEach((w, k) => mem.bmem.preload(4 + k, w));
    packActivations(p, acts, () => 0n).forEach((a, k) => mem.bram.preload(k, a));
    const cmd = { w_base: 4, a_base: 0, rows: 1, cols: 9, kv: true };
    expect(bankGemv(p, mem, cmd, (s) => 1 + s).map((d) => d.value)).toEqual([141n]);
    // Word 5 (beat 0's second word, slot 1) is read at edge 2: a write there at edge 2 is not seen
    // (read-first); word 4 (slot 0, edge 1) rewritten at edge 1 is not seen either, at edge 0 it is.
    const zeroFirst = packWeightRow(p, [0n, 0n, 0n, 0n], () => 0n, true)[0]!;
    mem.bmem.write(2, 5, 0n);
    mem.bmem.write(1, 4, zeroFirst);
    expect(bankGemv(p, mem, cmd, (s) => 1 + s)[0]!.value).toBe(141n);
    const mem2 = bankMemories(p);
    words.forEach((w, k) => mem2.bmem.preload(4 + k, w));
    packActivations(p, acts, () => 0n).forEach((a, k) => mem2.bram.preload(k, a));
    mem2.bmem.write(0, 4, zeroFirst); // columns 0-3 zero: 141 - 129 = 12
    mem2.bmem.write(1, 5, 0n); // columns 4-7 zero: 12 - (-2) = 14
    expect(bankGemv(p, mem2, cmd, (s) => 1 + s)[0]!.value).toBe(14n);
    expect(gemvReference([kv], acts, 24)[0]!.value).toBe(141n);
  });

  it("tiny_wide (16-bit KV, 32 lanes, 128-bit words): a beat spans 4 words; the last beat reads 1 to 4 of them", () => {
    const l = variantOf("tiny_wide", (s) => {
      s.chip.bank.read_bits = 128;
      s.chip.bank.mac_lanes = 64;
      s.numerics.activation_bits = 4;
      s.numerics.kv_bits = 16;
      s.numerics.accumulator_bits = 32;
    });
    const p = bankParams(l);
    expect([p.lanes, p.kv_per_word, p.kv_words_per_beat, p.kv_beats_per_word]).toEqual([32, 8, 4, 1]);
    for (const [cols, words] of [[33, 5], [50, 7], [64, 8], [1, 1], [0, 1]] as const) {
      expect(gemvReadSlots(p, { w_base: 0, a_base: 0, rows: 1, cols, kv: true })).toBe(words);
      expect(bankGemvCycles(l.derived, 3, cols, { kv: true }).stream).toBe(3 * words);
    }
    // 32 of 64 lanes asked for: compute 3 × ceil(50 / 64) = 3 < memory 3 × 7 = 21; latency 3 + 5.
    expect(bankGemvCycles(l.derived, 3, 50, { kv: true })).toMatchObject({ compute: 3, memory: 21, total: 29 });
  });

  it("tiny_l2 (2 lanes): a 32-bit word holds 2 KV beats, one beat per cycle", () => {
    const l = variantOf("tiny_l2", (s) => {
      s.chip.bank.mac_lanes = 2;
    });
    const p = bankParams(l);
    expect([p.lanes, p.kv_per_word, p.kv_words_per_beat, p.kv_beats_per_word, p.beats_per_word]).toEqual([2, 4, 1, 2, 4]);
    const cmd = { w_base: 0, a_base: 0, rows: 2, cols: 5, kv: true };
    // Row 0: words 0, 0, 1 (subs 0, 1, 0); row 1 from word ceil(5 / 4) = 2.
    expect(gemvBeats(p, cmd).map((b) => [b.bmem_addr, b.sub, b.bmem_words, b.slot])).toEqual([
      [0, 0, 1, 0],
      [0, 1, 1, 1],
      [1, 0, 1, 2],
      [2, 0, 1, 3],
      [2, 1, 1, 4],
      [3, 0, 1, 5],
    ]);
    // compute 2 × ceil(5 / 2) = 6 > memory 2 × 2 = 4; latency 3 + log2(2) = 4.
    expect(bankGemvCycles(l.derived, 2, 5, { kv: true })).toMatchObject({ memory: 4, compute: 6, stream: 6, total: 10 });
    const rng = prng(3);
    const kv = Array.from({ length: cmd.rows }, () => Array.from({ length: cmd.cols }, () => rng.signed(8)));
    const acts = Array.from({ length: cmd.cols }, () => rng.signed(8));
    const mem = bankMemories(p);
    kv.forEach((row, r) => packWeightRow(p, row, () => rng.signed(8), true).forEach((w, k) => mem.bmem.preload(r * 2 + k, w)));
    packActivations(p, acts, () => rng.signed(8)).forEach((a, k) => mem.bram.preload(k, a));
    expect(bankGemv(p, mem, cmd, (s) => 1 + s)).toEqual(gemvReference(kv, acts, 24));
  });

  it("kv_bits = weight_bits: KV mode is weight mode (same beats, same cycles)", () => {
    const l = variantOf("tiny_kv4", (s) => {
      s.numerics.kv_bits = 4;
    });
    const p = bankParams(l);
    const cmd = { w_base: 1, a_base: 0, rows: 3, cols: 21 };
    expect(gemvBeats(p, { ...cmd, kv: true })).toEqual(gemvBeats(p, cmd));
    expect(bankGemvCycles(l.derived, 3, 21, { kv: true })).toEqual(bankGemvCycles(l.derived, 3, 21));
  });

  it("schedule: a weight GEMV then a KV GEMV back to back, the KV command accepted in the cycle of the last read", () => {
    const s = bankGemvSchedule(tiny.derived, [
      { at: 0, rows: 3, cols: 9 }, // 3 × 2 beats
      { at: 0, rows: 2, cols: 9, kv: true }, // 2 × 3 reads
      { at: 0, rows: 1, cols: 8 },
    ]);
    expect(s.map((t) => [t.accept, t.results])).toEqual([
      [0, [8, 10, 12]],
      [6, [15, 18]],
      [12, [19]],
    ]);
  });
});

describe("RTL checks of the KV mode (checkRtl)", () => {
  it("every preset passes", () => {
    for (const f of ["specs/tiny.json", "specs/fpga-ice40.json", "specs/aim-llama7b.json"]) expect(loadSpec(f).rtlProblems).toEqual([]);
  });

  it("kv_bits not a multiple of weight_bits: a problem naming numerics.kv_bits", () => {
    const s = tinyObject();
    s.numerics.weight_bits = 8;
    s.numerics.kv_bits = 4;
    const l = parseSpec(s, "x");
    expect(checkRtl(l.spec, l.derived)).toContainEqual({
      path: "numerics.kv_bits",
      message: expect.stringMatching(/^4 is not a multiple of numerics\.weight_bits \(8\).*e\.g\. 8$/),
    });
    expect(() => rtlModules(l)).toThrow(/numerics\.kv_bits: 4 is not a multiple of numerics\.weight_bits/);
  });

  it("a KV beat (lanes × kv_bits) that neither divides nor is a multiple of a BMEM word: a problem with lanes that fit", () => {
    const s = tinyObject();
    s.numerics.kv_bits = 12;
    s.chip.bank.read_bits = 48;
    s.chip.bank.mac_lanes = 6; // divides the 12 weights of a word; 6 × 12 = 72 bits vs 48
    s.chip.bus.bits = 24;
    const l = parseSpec(s, "x");
    const problems = checkRtl(l.spec, l.derived);
    expect(problems.map((p) => p.path)).toEqual(["numerics.kv_bits"]);
    expect(problems[0]!.message).toMatch(/6 lanes × numerics\.kv_bits = 6 × 12 = 72 bits and a BMEM word of chip\.bank\.read_bits = 48 bits/);
    expect(problems[0]!.message).toMatch(/chip\.bank\.mac_lanes = 1, 2, 4, 12$/);
    expect(() => parseSpec(s, "x", { rtl: true })).toThrow(UserError);
  });
});
