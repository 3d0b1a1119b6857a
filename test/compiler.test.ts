// The LLaMA decode compiler (generator/compiler/): its load and step programs, run on the
// instruction-level golden chip (sim/golden/chip.ts), reproduce the golden LLaMA
// (sim/golden/llama.ts) bit for bit — every layer's output and the logits at every step, and the
// tokens — for both attention mappings, with and without GQA; the layout's promises; the tags;
// the spec problems it reports as UserErrors.
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import {
  compileDecode,
  gatherStream,
  gemvRow,
  gemvShift,
  instructionsOf,
  kSlot,
  kvCacheProgram,
  planLayout,
  predictChipToken,
  programProblems,
  runDecodeOnChipModel,
  runProgram,
  scoreRows,
  stackParts,
  tally,
  type ChipDecodeRun,
} from "../generator/compiler/index.js";
import { UserError } from "../generator/errors.js";
import { programCycles } from "../generator/model/cycles-chip.js";
import { chipParams } from "../generator/rtl/chip.js";
import { loadSpec, parseSpec, type LoadedSpec } from "../generator/spec/load.js";
import type { Spec } from "../generator/spec/schema.js";
import { randomLlamaWeights } from "../sim/golden/llama-weights.js";
import { decodeStep, decodeTokens, type LlamaCache } from "../sim/golden/llama.js";
import { ChipModel } from "../sim/golden/chip.js";
import { prng } from "../sim/prng.js";
import { packByShifts, packToWords, rewrap, unpackFromWords } from "../generator/compiler/words.js";

const TINY = loadSpec("specs/tiny.json");
const ICE40 = loadSpec("specs/fpga-ice40.json");
const tinySpec = JSON.parse(readFileSync("specs/tiny.json", "utf8")) as Spec;

type ModelObject = Exclude<Spec["model"], string>;
type Mapping = Spec["workload"]["attention_mapping"];
const MAPPINGS: readonly Mapping[] = ["banks_per_head", "bank_per_head"];

/** specs/tiny.json with parts edited. */
function variant(
  name: string,
  edit: { model?: Partial<ModelObject>; numerics?: Partial<Spec["numerics"]>; workload?: Partial<Spec["workload"]>; controller?: Partial<Spec["chip"]["controller"]>; bank?: Partial<Spec["chip"]["bank"]> },
): LoadedSpec {
  const base = structuredClone(tinySpec);
  if (typeof base.model === "string") throw new Error("specs/tiny.json names a model preset");
  return parseSpec(
    {
      ...base,
      model: { ...base.model, ...edit.model },
      numerics: { ...base.numerics, ...edit.numerics },
      workload: { ...base.workload, ...edit.workload },
      chip: { ...base.chip, controller: { ...base.chip.controller, ...edit.controller }, bank: { ...base.chip.bank, ...edit.bank } },
    },
    name,
  );
}

/** Decodes on the chip model and on the golden model; every layer output, the logits and the tokens must agree. */
function expectBitExact(loaded: LoadedSpec, seed: number, prompt: readonly number[], n: number): ChipDecodeRun {
  const w = randomLlamaWeights(loaded, seed);
  const chip = runDecodeOnChipModel(loaded, w, prompt, n);
  const gold = decodeTokens(w, prompt, n);
  expect(chip.steps.length).toBe(gold.steps.length);
  chip.steps.forEach((s, i) => {
    const g = gold.steps[i]!;
    expect([s.pos, s.token]).toEqual([g.pos, g.token]);
    expect(s.layerOutputs, `step ${i}: layer outputs`).toEqual(g.layers.map((l) => l.output));
    expect(s.logits, `step ${i}: logits`).toEqual(g.logits);
    expect(s.next).toBe(g.next);
    expect(programProblems(chip.compiled.layout.p, s.program)).toEqual([]);
  });
  expect(chip.tokens).toEqual(gold.tokens);
  expect(programProblems(chip.compiled.layout.p, chip.compiled.load)).toEqual([]);
  // Nothing left in a packer, every host word consumed.
  expect(chip.chip.pending.every((q) => q.length === 0)).toBe(true);
  return chip;
}

const PROMPTS: Record<number, number[]> = { 1: [3, 1, 4, 1], 2: [200, 17, 99, 5] };

describe("decode on the golden chip = golden LLaMA, bit for bit (prompt of 4, 3 tokens)", () => {
  for (const mapping of MAPPINGS) {
    const gqa = variant(`tiny_${mapping}`, { workload: { attention_mapping: mapping } });
    for (const seed of [1, 2]) {
      test(`tiny (GQA 4 query heads / 2 KV heads), ${mapping}, seed ${seed}`, () => {
        const run = expectBitExact(gqa, seed, PROMPTS[seed]!, 3);
        expect(run.tokens.length).toBe(3);
        expect(run.compiled.layout.attention.nd).toBe(mapping === "bank_per_head" ? 1 : 2);
      });
    }
    test(`no GQA (4 KV heads), ${mapping}`, () => {
      const run = expectBitExact(variant(`tiny_mha_${mapping}`, { model: { num_key_value_heads: 4 }, workload: { attention_mapping: mapping } }), 3, [7, 8, 9, 10], 3);
      expect(run.compiled.layout.attention.heads.length).toBe(4);
    });
    test(`head_dim 32 (1/sqrt(d) needs the requant op on the scores), 1 KV head, ${mapping}`, () => {
      const loaded = variant(`tiny_hd32_${mapping}`, { model: { num_attention_heads: 2, num_key_value_heads: 1 }, workload: { attention_mapping: mapping } });
      expect(randomLlamaWeights(loaded, 4).scoreRequant).not.toBeNull();
      const run = expectBitExact(loaded, 4, [1, 2, 3, 4], 3);
      // One requant a score gather, in place over its heads' regions.
      const prog = run.steps[0]!.program.instrs;
      const requants = prog.filter((t) => t.tag.what.startsWith("requant scores"));
      expect(requants.length).toBe(prog.filter((t) => t.tag.what.startsWith("gather scores")).length);
      expect(requants.length).toBeGreaterThan(0);
      for (const { instr } of requants) expect(instr.op === "vop" && instr.a === instr.y).toBe(true);
    });
  }

  test("K rows shorter than a bus beat (4 dies × 64-bit links: 256-bit beats, 128-bit rows) sit at a pitch of a whole beat", () => {
    const s = structuredClone(tinySpec);
    s.chip = { ...s.chip, dies: 4, bus: { bits: 64, latency_cycles: 3 }, die: { dieram_bytes: 512 }, bank: { ...s.chip.bank, bram_bytes: 2048 } };
    s.workload = { ...s.workload, banks_per_head: 2 };
    const loaded = parseSpec(s, "tiny_wide_beat");
    const run = expectBitExact(loaded, 8, [5, 6, 7, 8], 3);
    // The st_bmem of a 128-bit row writes one 256-bit beat: 8 BMEM words of 32 bits, the row's 4 and 4 of padding.
    expect(run.compiled.layout.attention.kRowWords).toBe(4);
    expect(run.compiled.layout.attention.kRowPitch).toBe(8);
  });

  test("4 banks a KV head over 4 dies: one score gather of both heads a query member (their banks in lockstep), the PV results packed (4 of a bank's 8-element bus word)", () => {
    const s = structuredClone(tinySpec);
    s.chip = { ...s.chip, dies: 4, bus: { bits: 64, latency_cycles: 3 }, die: { dieram_bytes: 512 }, bank: { ...s.chip.bank, bram_bytes: 2048 } };
    s.workload = { ...s.workload, banks_per_head: 4 };
    const loaded = parseSpec(s, "tiny_lockstep");
    const run = expectBitExact(loaded, 6, [5, 6, 7, 8], 3);
    const at = run.compiled.layout.attention;
    // Slots dealt round-robin over 4 dies of 4 banks: head 0 takes slots 0-3 (bank 0 of each die),
    // head 1 slots 4-7 (bank 1 of each die).
    expect(at.heads).toEqual([
      [0, 4, 8, 12],
      [1, 5, 9, 13],
    ]);
    // d / nd = 4 PV outputs a bank, 32 of a 64-bit bus word's bits: banks 0 and 1 of a die share one word.
    expect(at.vRows).toBe(4);
    expect(at.pvPack).toBe(true);
    expect(at.pvWords).toBe(4); // 4 dies × one 64-bit word, in 64-bit CMEM words
    const step = run.compiled.step(15, 5);
    const gathers = step.instrs.filter((t) => t.tag.what.startsWith("gather scores")).map((t) => t.tag.what);
    const layer = ["gather scores dies 0, 1, 2, 3 (query heads 0, 2)", "gather scores dies 0, 1, 2, 3 (query heads 1, 3)"];
    expect(gathers).toEqual([...layer, ...layer]);
    // Position 15: 8 rows a bank (one 8-element word each), 4 banks a head → 32 scores = 4 CMEM words
    // a head: head 1's softmax reads 4 words after head 0's.
    const softmax = step.instrs.filter((t) => t.tag.what.startsWith("softmax head")).map((t) => (t.instr.op === "vop" ? Number(t.instr.a) : -1));
    expect(softmax[1]! - softmax[0]!).toBe(4);
    expect(step.instrs.filter((t) => t.tag.what.startsWith("gemv PV")).every((t) => t.instr.op === "gemv" && Number(t.instr.pack) === 1)).toBe(true);
  });

  test("fpga-ice40 (1 die × 2 banks, 16-bit words and links)", () => {
    expectBitExact(ICE40, 5, [9, 2, 33, 4], 3);
  });

  test("gains resident in CRAM when it is large enough, else staged from CMEM (specs/tiny.json's 256 bytes)", () => {
    expect(planLayout(TINY, chipParams(TINY)).cram.gains).toBeNull();
    const big = variant("tiny_cram1k", { controller: { cram_bytes: 1024 } });
    const run = expectBitExact(big, 6, [11, 12, 13, 14], 3);
    expect(run.compiled.layout.cram.gains).not.toBeNull();
    expect(run.steps[0]!.program.instrs.some((t) => t.tag.what.endsWith("gain"))).toBe(false);
  });

  test("GEMVs with more rows per bank than a result packer holds run in chunks", () => {
    // vocab 64 and context 8: max_count = 22 (ceil(176 / 8)), so a gemv runs at most 20 rows a bank
    // (whole 4-element bus words); gate and up as one GEMV: 176 + 176 rows = 44 a bank (8 banks).
    // A decode layout runs them as the MLP's 4 chunks (12, 12, 10, 10 rows: 48, 48, 40, 40
    // intermediate elements); a prefill layout (GEMMs of 2 tokens: 2 packer words a bus word of rows
    // in an 8-word packer, so at most 4 words = 16 rows) in chunks of 16 + 16 + 12.
    const loaded = variant("tiny_chunks", { model: { num_key_value_heads: 4, vocab_size: 64 }, workload: { context_len: 8, prompt_len: 4 } });
    const run = expectBitExact(loaded, 7, [1, 60, 2, 59], 3);
    expect(run.compiled.layout.maxRows).toBe(20);
    expect(run.compiled.layout.layers[0]!.gate_up.chunks.map((c) => c.rows)).toEqual([12, 12, 10, 10]);
    expect(planLayout(loaded, chipParams(loaded), { batch: 2 }).layers[0]!.gate_up.chunks.map((c) => c.rows)).toEqual([16, 16, 12]);
  });
});

describe("layout", () => {
  test("each KV head on one bank per die (banks_per_head: nd = min(banks_per_head, dies) = 2) or on one bank (bank_per_head)", () => {
    const p = chipParams(TINY);
    const a = planLayout(TINY, p).attention;
    expect(a.nd).toBe(2);
    for (const banks of a.heads) expect(banks.map((b) => Math.floor(b / p.banks_per_die))).toEqual([0, 1]);
    const one = variant("tiny_bph", { workload: { attention_mapping: "bank_per_head" } });
    const b = planLayout(one, chipParams(one)).attention;
    expect(b.heads).toEqual([[0], [4]]);
    expect(new Set([...a.heads.flat(), ...b.heads.flat()]).size).toBe(4);
  });

  test("weight rows: every natural row in exactly one bank, and the gather returns them in natural order then zeros", () => {
    const p = chipParams(TINY);
    const lay = planLayout(TINY, p);
    const all = Array.from({ length: p.banks }, (_, k) => k);
    for (const plan of [lay.layers[0]!.q, lay.layers[0]!.k, lay.layers[0]!.v, lay.layers[1]!.gate_up, lay.lmHead]) {
      // Chunk by chunk, as the gemvs run and the gathers return them.
      const stream = plan.chunks.flatMap((ch) => gatherStream(p, all, ch.rows, plan.pack).map((s) => (s === null ? -1 : plan.rowMap[s.bank]![ch.first + s.row]!)));
      expect(stream.slice(0, plan.rows)).toEqual(Array.from({ length: plan.rows }, (_, i) => i));
      expect(stream.slice(plan.rows).every((r) => r === -1)).toBe(true);
    }
    // gate and up as one: 176 + 176 rows over 8 banks of 4-element words = 44 a bank (alone: 24 each),
    // as the MLP's 4 chunks: intermediate elements in whole units of 8 (a 64-bit CMEM word and a
    // 64-bit BRAM word of 8-bit codes; 4 rows a bank = 8 elements of gate and 8 of up) → 22 units as
    // 6, 6, 5, 5: 48, 48, 40, 40 elements, each chunk's gate then its up.
    const gu = lay.layers[0]!.gate_up;
    expect(gu.rowsPerBank).toBe(44);
    expect(gu.chunks.map((c) => c.rows)).toEqual([12, 12, 10, 10]);
    expect(gu.parts.map(({ matrix, first, rows }) => [matrix, first, rows])).toEqual([
      ["gate", 0, 48],
      ["up", 48, 48],
      ["gate", 96, 48],
      ["up", 144, 48],
      ["gate", 192, 40],
      ["up", 232, 40],
      ["gate", 272, 40],
      ["up", 312, 40],
    ]);
    expect(lay.mlp.map((x) => [x.gateWord, x.upWord, x.first, x.elems, x.chunk])).toEqual([
      [0, 6, 0, 48, 0],
      [12, 18, 48, 48, 1],
      [24, 29, 96, 40, 2],
      [34, 39, 136, 40, 3],
    ]);
    // The down GEMV's input has a BRAM region of its own (each chunk's SiLU × up goes there while the next chunk reads x).
    expect(lay.bram.down).not.toBeNull();
    // K and V: two GEMVs of 32 rows (2 KV heads × 16): 4 a bank.
    expect(lay.layers[0]!.k.parts).toEqual([{ matrix: "k", first: 0, rows: 32 }]);
    // V in the append's order (one st_vt over 2 KV heads × 2 banks = 4 slots of 8 dims): output
    // j × 4 + s is dim (s mod 2) × 8 + j of head floor(s / 2).
    expect(lay.layers[0]!.v.parts).toMatchObject([{ matrix: "v", first: 0, rows: 32 }]);
    expect(lay.layers[0]!.v.parts[0]!.order!.slice(0, 9)).toEqual([0, 8, 16, 24, 1, 9, 17, 25, 2]);
    expect(lay.layers[0]!.v.rowsPerBank).toBe(4);
    expect(lay.cmem.v - lay.cmem.k).toBe(4);
  });

  // Element packing: in a chunk of n rows a bank (its first local row f, O natural rows before it),
  // bank k of die d computes natural row O + (w × dies + d) × per_word + e % per_word for its local
  // row r, e = k × n + r - f and w = floor(e / per_word) (a die's banks back to back, per_word to a
  // link word, beat w holding word w of every die): a formula of its own here.
  const packedRow = (p: ReturnType<typeof chipParams>, chunks: readonly number[], bank: number, r: number): number => {
    const pw = p.bus.per_word;
    let f = 0;
    let c = 0;
    while (r >= f + chunks[c]!) f += chunks[c++]!;
    const O = p.banks * f;
    const e = (bank % p.banks_per_die) * chunks[c]! + r - f;
    return O + (Math.floor(e / pw) * p.dies + Math.floor(bank / p.banks_per_die)) * pw + (e % pw);
  };
  test.each([
    // [spec, MLP, GEMV, rows by hand: ceil(N / banks) rounded up to per_word / gcd(per_word, banks_per_die), and its chunks]
    ["tiny with an MLP of 180", 180, "gate_up", 46, [46]], // gate 180 rows, up from 184 (a CMEM word): 364 / 8 = 45.5 → 46 (4-element words, 4 banks a die: any R); 180 is no whole number of 8-element units: one chunk
    // 22016 / 128 = 172 (64-element words, 16 banks a die: R a multiple of 4). The MLP's chunks: whole
    // 512-element units (a 2048-bit BRAM word of 4-bit codes; a 512-bit CMEM word holds 128), 21 of
    // them and 256 left: 6, 5, 5, 5 units and the rest = 3072, 2560, 2560, 2816 elements = 48, 40, 40, 44 rows a bank.
    ["bench/aim-layer.json", null, "gate_up", 172, [48, 40, 40, 44]],
    ["bench/aim-layer.json", null, "q", 32, [32]], // 4096 / 128 (unpacked: 64, a whole word)
    ["bench/aim-layer.json", null, "down", 32, [32]],
  ] as const)("weight rows with element packing (%s, %s): R as by hand, natural row s at packed stream position s", (file, mlp, name, R, chunks) => {
    const s = JSON.parse(readFileSync(file === "bench/aim-layer.json" ? file : "specs/tiny.json", "utf8")) as Spec;
    if (mlp !== null && typeof s.model === "object") s.model.intermediate_size = mlp;
    const loaded = parseSpec(s, file);
    const p = chipParams(loaded);
    const plan = planLayout(loaded, p).layers[0]![name];
    expect(plan.pack).toBe(true);
    expect(plan.rowsPerBank).toBe(R);
    expect(plan.chunks.map((c) => c.rows)).toEqual(chunks);
    const seen = new Set<number>();
    let wrong = 0;
    plan.rowMap.forEach((rows, bank) =>
      rows.forEach((s, r) => {
        if (s < 0) return;
        if (s !== packedRow(p, chunks, bank, r) || seen.has(s)) wrong++;
        seen.add(s);
      }),
    );
    expect(wrong).toBe(0);
    // Every natural row of every part is computed.
    for (const part of plan.parts) for (let i = part.first; i < part.first + part.rows; i++) if (!seen.has(i)) wrong++;
    expect(wrong).toBe(0);
  });

  test("a chip without the ALU ops LLaMA needs is refused, naming vector_ops and the ops missing", () => {
    const up5k = loadSpec("specs/fpga-up5k.json");
    expect(() => compileDecode(up5k, randomLlamaWeights(up5k, 1))).toThrow(UserError);
    expect(() => compileDecode(up5k, randomLlamaWeights(up5k, 1))).toThrow(/chip\.controller\.vector_ops: .*does not build softmax, rmsnorm, silu, rope\b/);
    // Requant only when the scores need it: head_dim 32 (1/sqrt(32) is no power of two) does, 16 (tiny) does not.
    const noRequant = ["add", "mul", "sum", "max", "softmax", "rmsnorm", "silu", "rope"] as const;
    const tiny = variant("tiny_norq", { controller: { vector_ops: [...noRequant] } });
    expect(randomLlamaWeights(tiny, 1).scoreRequant).toBeNull();
    expect(() => compileDecode(tiny, randomLlamaWeights(tiny, 1))).not.toThrow();
    const wide = variant("tiny_hd32", { model: { num_attention_heads: 2, num_key_value_heads: 2 }, controller: { vector_ops: [...noRequant] } });
    const ww = randomLlamaWeights(wide, 1);
    expect(ww.scoreRequant).not.toBeNull();
    expect(() => compileDecode(wide, ww)).toThrow(/add requant to vector_ops/);
  });

  test("stacked GEMVs: each part from the first row whose output starts a CMEM word; one shift for both", () => {
    const p = chipParams(TINY); // 8-bit activations, 64-bit CMEM words: 8 codes a word
    expect(stackParts(p, [["k", 12], ["v", 12]])).toEqual([{ matrix: "k", first: 0, rows: 12 }, { matrix: "v", first: 16, rows: 12 }]);
    // 12-bit codes: a word boundary every lcm(12, 64) = 192 bits = 16 codes.
    expect(stackParts({ ...p, act_bits: 12 }, [["gate", 5], ["up", 3]])).toEqual([{ matrix: "gate", first: 0, rows: 5 }, { matrix: "up", first: 16, rows: 3 }]);
    const lay = planLayout(TINY, p);
    const w = randomLlamaWeights(TINY, 1);
    expect(gemvShift(w, lay.layers[0]!.k)).toBe(w.shifts.k);
    expect(() => gemvShift({ ...w, shifts: { ...w.shifts, up: w.shifts.gate + 1 } }, lay.layers[0]!.gate_up)).toThrow(/gate_up GEMV's matrices have different shifts/);
    // The decode layout's MLP chunks (48, 48, 40, 40 elements, gate then up each): row 40 is gate's
    // row 40, row 179 (144 + 35: the second chunk's up, from element 48) up's row 83.
    expect(gemvRow(w, lay.layers[1]!.gate_up, 40)).toBe(w.layers[1]!.wGate[40]);
    expect(gemvRow(w, lay.layers[1]!.gate_up, 179)).toBe(w.layers[1]!.wUp[83]);
    expect(gemvRow(w, lay.layers[1]!.gate_up, 352)).toBeNull();
    // The prefill layout's one gate and up: row 176 + 3 is up's row 3.
    const one = planLayout(TINY, p, { batch: 2 }).layers[1]!.gate_up;
    expect(gemvRow(w, one, 179)).toBe(w.layers[1]!.wUp[3]);
  });

  test("K rows: for every context length the score gather of a head returns positions 0 … n - 1 first", () => {
    for (const loaded of [TINY, variant("tiny_bph", { workload: { attention_mapping: "bank_per_head" } })]) {
      const p = chipParams(loaded);
      const at = planLayout(loaded, p).attention;
      const placed = new Map<string, number>();
      for (let t = 0; t < loaded.spec.workload.context_len; t++) {
        const { slot, row } = kSlot(p, at.nd, t);
        placed.set(`${slot}:${row}`, t);
      }
      for (let n = 1; n <= loaded.spec.workload.context_len; n++) {
        const rows = scoreRows(p, at.nd, n);
        expect(rows).toBeLessThanOrEqual(at.kRows);
        const got = gatherStream(p, at.heads[1]!, rows)
          .slice(0, n)
          .map((s) => (s === null ? -1 : placed.get(`${at.heads[1]!.indexOf(s.bank)}:${s.row}`)));
        expect(got).toEqual(Array.from({ length: n }, (_, i) => i));
      }
    }
  });

  test("Wo columns absorb the PV gather's permutation of head dims: a permutation of 0 … hidden - 1 (plus pads)", () => {
    const p = chipParams(TINY);
    const at = planLayout(TINY, p).attention;
    const cols = at.woColMap.filter((c) => c >= 0);
    expect([...cols].sort((x, y) => x - y)).toEqual(Array.from({ length: 64 }, (_, i) => i));
    // nd = 2, per_word 4: head 0 comes back as dims 0-3, 8-11, 4-7, 12-15.
    expect(at.woColMap.slice(0, 16)).toEqual([0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15]);
  });
});

describe("programs and their tags", () => {
  test("a step: one host word vector in, the logits out; parts of the seed's breakdown and layers tagged", () => {
    const p = chipParams(TINY);
    const w = randomLlamaWeights(TINY, 1);
    const c = compileDecode(TINY, w);
    const step = c.step(5, 42);
    expect(step.data.length).toBe(64 / p.host_elems);
    expect(step.reads).toEqual([{ what: "logits", layer: null, words: 256 / p.host_elems, elems: 256 }]);
    expect(instructionsOf(step)).toEqual(step.instrs.map((t) => t.instr));
    const ones = step.instrs.map(() => 1);
    const byOp = (part: string, op: string) => step.instrs.filter((t) => t.tag.part === part && t.instr.op === op).length;
    // 6 weight GEMVs a layer (q, k, v, o, gate and up, down), gate and up as 4 gemvs (the MLP's
    // chunks: 176 intermediate elements as 48, 48, 40, 40), + the LM head; score + PV GEMVs per
    // group member per layer (2 layers, group 2).
    expect(byOp("intra_bank_weights", "gemv")).toBe((5 + 4) * 2 + 1);
    expect(byOp("intra_bank_kv", "gemv")).toBe(2 * 2 * 2);
    expect(step.instrs.filter((t) => t.instr.op === "gemv").length).toBe(19 + 8);
    // The V append: one st_vt a layer over banks 0 .. 1 of both dies (2 KV heads × 2 banks = 4 slots).
    expect(step.instrs.filter((t) => t.instr.op === "st_vt").map((t) => (t.instr.op === "st_vt" ? Number(t.instr.spread) : -1))).toEqual([2, 2]);
    const parts = tally(step, ones);
    expect(Object.keys(parts).sort()).toEqual(["controller_bank", "host", "intra_bank_kv", "intra_bank_weights", "intra_controller"]);
    expect(parts["host"]).toBe(2); // wr_cmem x, rd_cmem logits
    for (const t of step.instrs) {
      if (t.instr.op === "gemv") expect(t.tag.part).toBe(t.instr.kv === 1 ? "intra_bank_kv" : "intra_bank_weights");
      if (["bcast", "gather", "st_bmem", "st_vt"].includes(t.instr.op)) expect(t.tag.part).toBe("controller_bank");
      if (["vop", "cp_cram"].includes(t.instr.op)) expect(t.tag.part).toBe("intra_controller");
      if (["st_bmem", "st_vt"].includes(t.instr.op)) expect(t.tag.stream).toBe("kv");
      expect(t.tag.layer === null || (t.tag.layer >= 0 && t.tag.layer < 2)).toBe(true);
    }
    const layers = tally(step, ones, (t) => String(t.layer));
    expect(layers["0"]).toBe(layers["1"]);
    expect(programProblems(p, step)).toEqual([]);
    expect(programProblems(p, c.load)).toEqual([]);
  });

  test("the score GEMV's rows and the PV GEMV's columns grow with the position; V^T rows keep their pitch", () => {
    const c = compileDecode(TINY, randomLlamaWeights(TINY, 1));
    const rows = (pos: number) => c.step(pos, 1).instrs.filter((t) => t.tag.what.startsWith("gemv scores")).map((t) => (t.instr.op === "gemv" ? Number(t.instr.rows) : -1));
    expect(rows(0)).toEqual([4, 4, 4, 4]); // one bus word per die
    expect(rows(8)).toEqual([8, 8, 8, 8]); // positions 0-8: blocks 0-2 → 2 blocks on slot 0
    expect(rows(63)).toEqual([32, 32, 32, 32]);
    const pv = c.step(3, 1).instrs.find((t) => t.tag.what.startsWith("gemv PV"))!.instr;
    // tiny: 16 dims over nd = 2 banks → 8 rows; positions 0-3 → 4 columns; rows reserved for the
    // 64-position context of 4 kv fields a 32-bit word: a pitch of 16 words.
    expect(pv).toMatchObject({ op: "gemv", rows: 8, cols: 4, kv: 1, pitch: 16 });
  });
});

describe("spec problems are UserErrors that name the field", () => {
  test("kv_bits ≠ activation_bits", () => {
    const loaded = variant("tiny_kv4", { numerics: { kv_bits: 4 } });
    expect(() => compileDecode(loaded, randomLlamaWeights(loaded, 1))).toThrow(UserError);
    expect(() => planLayout(loaded, chipParams(loaded))).toThrow(/numerics\.kv_bits \(4\) must equal numerics\.activation_bits \(8\)/);
  });

  test("a head that is not whole CMEM words (head_dim 4 of 8-bit activations, 64-bit words)", () => {
    const loaded = variant("tiny_hd4", { model: { num_attention_heads: 16, num_key_value_heads: 2 } });
    expect(() => planLayout(loaded, chipParams(loaded))).toThrow(UserError);
    expect(() => planLayout(loaded, chipParams(loaded))).toThrow(/head_dim\) = 4.*chip\.controller\.mem_bits/);
  });

  test("weights and KV cache beyond a bank's memory", () => {
    const loaded = variant("tiny_small_bmem", { bank: { memory_bytes: 8192 } });
    expect(() => planLayout(loaded, chipParams(loaded))).toThrow(/chip\.bank\.memory_bytes: the decode layout needs \d+ BMEM words/);
  });
});

describe("a KV cache loaded into the banks (kvCacheProgram) instead of decoded", () => {
  test.each(MAPPINGS)("%s: a random cache of 37 positions, then the step at position 37, equals the golden step on the same cache", (mapping) => {
    const loaded = variant(`tiny_${mapping}`, { workload: { attention_mapping: mapping } });
    const w = randomLlamaWeights(loaded, 5);
    const r = prng(11).fork("cache");
    const n = 37;
    const code = () => BigInt(r.int(-(2 ** (w.numerics.kvBits - 1)), 2 ** (w.numerics.kvBits - 1) - 1));
    const cache: LlamaCache = w.layers.map(() => ({
      k: Array.from({ length: n }, () => Array.from({ length: w.dims.kvDim }, code)),
      v: Array.from({ length: n }, () => Array.from({ length: w.dims.kvDim }, code)),
    }));
    const c = compileDecode(loaded, w);
    const chip = new ChipModel(c.layout.p);
    runProgram(chip, c.load);
    runProgram(chip, kvCacheProgram(c.layout, cache));
    const reads = runProgram(chip, c.step(n, 9, { readLayers: true }));
    const gold = decodeStep(w, cache, 9);
    expect(gold.pos).toBe(n);
    gold.layers.forEach((l, i) => expect(reads[i]).toEqual(l.output));
    expect(reads[reads.length - 1]).toEqual(gold.logits);
    // The cache matters: with another one the logits differ.
    const other = new ChipModel(c.layout.p);
    runProgram(other, c.load);
    const reads0 = runProgram(other, c.step(n, 9, { readLayers: true }));
    expect(reads0[reads0.length - 1]).not.toEqual(gold.logits);
  });
});

describe("the chip's own prediction of a token (predictChipToken, gen-rtl model)", () => {
  test.each(MAPPINGS)("%s: the weight-free step at the last position has the cycles of the real step (random weights) there", (mapping) => {
    const loaded = variant(`tiny_${mapping}`, { workload: { attention_mapping: mapping } });
    const pred = predictChipToken(loaded, mapping);
    if ("unavailable" in pred) throw new Error(pred.unavailable);
    const c = compileDecode(loaded, randomLlamaWeights(loaded, 4));
    const step = c.step(loaded.spec.workload.context_len - 1, 17);
    const cycles = programCycles(c.layout.p, loaded.derived, instructionsOf(step)).map((x) => x.cycles);
    const host = step.instrs.reduce((sum, t, i) => sum + (t.tag.part === "host" ? cycles[i]! : 0), 0);
    expect(pred.cycles_with_host).toBe(cycles.reduce((a, b) => a + b, 0));
    expect(pred.cycles_per_token).toBe(pred.cycles_with_host - host);
    expect(pred.instructions).toBe(step.instrs.length);
    expect(pred.positions).toBe(64);
  });

  test("a spec the compiler cannot serve says why (aim-llama7b: 800-bit CMEM words, 512-bit heads)", () => {
    const aim = loadSpec("specs/aim-llama7b.json");
    const pred = predictChipToken(aim, "bank_per_head");
    expect(pred).toMatchObject({ mapping: "bank_per_head", unavailable: expect.stringMatching(/mem_bits \(800\)/) });
  });
});

describe("bit packing (words.ts)", () => {
  test("by hand: fields from bit 0 up, two's complement, the last word zero-padded", () => {
    // 1, -1 (0xF), 2 as 4-bit fields in 8-bit words: 0xF1, 0x02.
    expect(packToWords([1n, -1n, 2n], 4, 8)).toEqual([0xf1n, 0x02n]);
    // -2 as a 12-bit field (0xFFE) across 8-bit words: 0xFE, 0x0F.
    expect(packToWords([-2n], 12, 8)).toEqual([0xfen, 0x0fn]);
    // 6-bit fields (not whole hex digits): 5 and -1 (0x3F) in 8-bit words: 0b11_000101 = 0xC5, then 0x0F.
    expect(packToWords([5n, -1n], 6, 8)).toEqual([0xc5n, 0x0fn]);
  });
  test("the hex fast path equals the shift path on random fields, and unpacks back", () => {
    const r = prng(11);
    for (const [bits, wordBits] of [[4, 32], [4, 256], [8, 64], [8, 800], [12, 16], [16, 512], [32, 96], [4, 12]] as const) {
      const half = 2 ** (bits - 1);
      const values = Array.from({ length: 1 + r.int(0, 300) }, () => BigInt(r.int(-half, half - 1)));
      const words = packToWords(values, bits, wordBits);
      expect(words, `${bits} in ${wordBits}`).toEqual(packByShifts(values, bits, wordBits));
      expect(unpackFromWords(words, wordBits, bits, values.length)).toEqual(values);
    }
  });
  test("rewrap re-cuts the same bit stream (whole-word fast paths included)", () => {
    const r = prng(12);
    const word = (bits: number): bigint => packByShifts(Array.from({ length: bits / 4 }, () => BigInt(r.int(0, 15))), 4, bits)[0]!;
    for (const [from, to] of [[256, 512], [512, 256], [32, 64], [64, 16], [16, 24], [24, 16], [256, 800]] as const) {
      const words = Array.from({ length: 1 + r.int(0, 40) }, () => word(from));
      expect(rewrap(words, from, to), `${from} → ${to}`).toEqual(packByShifts(words, from, to));
    }
    // By hand: 0x12, 0x34 (8-bit words) into one 16-bit word: 0x3412; and back.
    expect(rewrap([0x12n, 0x34n], 8, 16)).toEqual([0x3412n]);
    expect(rewrap([0x3412n], 16, 8)).toEqual([0x12n, 0x34n]);
  });
});
