// Prefill with batch tiling (generator/compiler/prefill-program.ts, gen-rtl run --prefill).
//   (a) On the instruction-level chip model and on the Verilated chip: specs/tiny.json (GQA: 4 query
//       heads on 2 KV heads; banks_per_head) and a bank_per_head variant, and fpga-ice40 (other
//       widths) on the model: a prompt of 7 (one full tile of 4 and a partial one of 3) then 2
//       tokens; every prompt position's layer outputs and logits equal the golden LLaMA's decode of
//       that position (computed here on its own), the tokens too, and the decode steps after the
//       prefill still match; on the RTL each tile's measured cycles equal the instruction model's.
//   (b) The tiling itself: every weight chunk runs once per tile as one GEMM of the tile's tokens
//       (the same chunks as a decode step's GEMVs: each weight word read once per tile).
//   (c) The prefill model beside it: the report's prediction is runModel's prefill_cycles for the
//       same prompt (one model for the CLI and the harness), tile by tile adding up.
//   (d) Bad input: a prefill_batch whose tile does not fit CMEM is a clear message (exit 2).
import { execa } from "execa";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileDecode } from "../generator/compiler/index.js";
import { runModel } from "../generator/model/index.js";
import { loadSpec, type LoadedSpec } from "../generator/spec/load.js";
import type { Spec } from "../generator/spec/schema.js";
import { randomLlamaWeights } from "../sim/golden/llama-weights.js";
import { decodeTokens } from "../sim/golden/llama.js";
import type { Engine } from "../sim/decode/engine.js";
import { drawPrompt } from "../sim/decode/prompt.js";
import { passed, runDecode, type RunResult } from "../sim/decode/run.js";
import { haveVerilator } from "../sim/harness/verilator.js";

const have = await haveVerilator();
const BIN = join(process.cwd(), "bin", "gen-rtl.js");
const dir = mkdtempSync(join(tmpdir(), "pim-gen-prefill-test-"));

function variant(file: string, edit: (s: Spec) => void, name: string): string {
  const s = JSON.parse(readFileSync(file, "utf8")) as Spec & { $schema?: string };
  delete s.$schema;
  edit(s);
  const out = join(dir, name);
  writeFileSync(out, JSON.stringify(s, null, 2));
  return out;
}

// Same chip RTL as specs/tiny.json (only the mapping differs): one cached Verilator build.
const BPH = variant("specs/tiny.json", (s) => void (s.workload.attention_mapping = "bank_per_head"), "tiny-bph.json");
const PROMPT = 7;
const TOKENS = 2;

/** Every prompt position and every decode step bit for bit against the golden LLaMA, computed here. */
function expectGolden(loaded: LoadedSpec, r: RunResult, seed: number): void {
  const w = randomLlamaWeights(loaded, seed);
  const gold = decodeTokens(w, drawPrompt(seed, w.dims.vocab, PROMPT), TOKENS);
  expect(r.tokens.golden).toEqual(gold.tokens);
  expect(r.tokens.rtl).toEqual(gold.tokens);
  const pf = r.prefill!;
  expect(pf.positions.map((p) => p.pos)).toEqual(Array.from({ length: PROMPT }, (_, i) => i));
  pf.positions.forEach((p) => {
    expect(p.token_in).toBe(gold.steps[p.pos]!.token);
    expect(p.layers_match, `position ${p.pos}`).toEqual(Array.from({ length: loaded.derived.model.num_hidden_layers }, () => true));
    expect(p.logits_match, `position ${p.pos}`).toBe(true);
    expect(p.rtl_token).toBe(gold.steps[p.pos]!.next);
  });
  expect(r.steps.map((s) => s.pos)).toEqual(Array.from({ length: TOKENS - 1 }, (_, i) => PROMPT + i));
  for (const s of r.steps) expect(s.match).toBe(true);
  expect(r.mismatch_count).toBe(0);
  expect(r.problems).toEqual([]);
  expect(passed(r)).toBe(true);
}

describe.each([
  ["specs/tiny.json (GQA, banks_per_head)", "specs/tiny.json", [1, 2]],
  ["tiny, bank_per_head", BPH, [1]],
] as const)("gen-rtl run --prefill on %s", (_, file, seeds) => {
  const loaded = loadSpec(file, { rtl: true });
  for (const engine of ["model", "rtl"] as Engine[]) {
    for (const seed of seeds) {
      it.skipIf(engine === "rtl" && !have)(`engine ${engine}, seed ${seed}: tiles of 4 and 3, every position bit for bit${engine === "rtl" ? ", each tile's cycles the instruction model's" : ""}`, async () => {
        const r = await runDecode(loaded, { tokens: TOKENS, promptLen: PROMPT, seed, engine, prefill: true });
        expectGolden(loaded, r, seed);
        const pf = r.prefill!;
        expect(pf.tiles.map((t) => [t.first, t.tokens])).toEqual([
          [0, 4],
          [4, 3],
        ]);
        for (const t of pf.tiles) {
          expect(t.model.decode).toBeGreaterThan(0);
          if (engine === "model") expect(t.measured).toBeNull();
          else expect(t.measured, `tile ${t.tile}`).toEqual(t.model);
        }
        if (engine === "rtl") {
          expect(pf.parts.reduce((s, p) => s + p.measured!, 0)).toBe(pf.measured!.decode);
          for (const s of r.steps) expect(s.cycles.measured!.whole).toBe(s.cycles.model.whole);
        }
      }, 600_000);
    }
  }
});

describe("prefill on fpga-ice40 (16-bit words, 2 banks, one KV head)", () => {
  it("the chip model: every prompt position and the tokens bit for bit", async () => {
    const loaded = loadSpec("specs/fpga-ice40.json", { rtl: true });
    const r = await runDecode(loaded, { tokens: TOKENS, promptLen: PROMPT, seed: 3, engine: "model", prefill: true });
    expectGolden(loaded, r, 3);
  });
});

describe("the tiling", () => {
  it("every weight chunk of a decode step runs once per tile, as a GEMM of the tile's tokens a BRAM stride apart", () => {
    const loaded = loadSpec("specs/tiny.json", { rtl: true });
    const w = randomLlamaWeights(loaded, 1);
    const c = compileDecode(loaded, w, { prefill: true });
    const weightGemvs = (prog: ReturnType<typeof c.step>) =>
      prog.instrs.filter((t) => t.instr.op === "gemv" && t.tag.part === "intra_bank_weights").map((t) => t.instr as Extract<typeof t.instr, { op: "gemv" }>);
    const step = weightGemvs(c.step(0, 1));
    for (const tokens of [[1, 2, 3, 4], [5, 6, 7]]) {
      const tile = weightGemvs(c.prefill!(0, tokens));
      // The same chunks (the decode step runs K, Q, V; the tile K, V, Q): compared in BMEM order.
      const chunks = (gs: typeof step) => gs.map((g) => [g.rows, g.cols, g.w_base]).sort((a, b) => Number(a[2]) - Number(b[2]));
      expect(chunks(tile)).toEqual(chunks(step));
      for (const g of tile) {
        expect(g.batch).toBe(tokens.length);
        expect(g.a_stride).toBe(c.tile!.bram.stride);
      }
    }
    // The stride holds the widest input: intermediate_size = 176 activations of 8 bits in BRAM words of
    // 64 bits (tiny's bcast beat) = 22; four of them after the decode's regions fit the 128-word BRAM.
    expect(c.tile!.bram.stride).toBe(22);
    expect(c.tile!.bram.base).toBe(c.layout.bram.used);
    expect(c.tile!.bram.base + 4 * 22).toBeLessThanOrEqual(128);
  });
});

describe("the prefill model beside the tiles", () => {
  it("the report's prediction is runModel's prefill_cycles for the same prompt; the tiles add up to it", async () => {
    const file = variant("specs/tiny.json", (s) => void (s.workload.prompt_len = PROMPT), "tiny-p7.json");
    const loaded = loadSpec(file, { rtl: true });
    const r = await runDecode(loaded, { tokens: 1, promptLen: PROMPT, seed: 1, engine: "model", prefill: true });
    const m = runModel(loaded);
    const mm = m.mappings[loaded.derived.mapping];
    if (!mm || !("prefill_cycles" in mm)) throw new Error("no model for the spec's mapping");
    const predicted = mm.prefill_cycles;
    expect(r.prefill!.analytical).toBeCloseTo(predicted.total, 6);
    expect(r.prefill!.tiles.reduce((s, t) => s + t.analytical, 0)).toBeCloseTo(predicted.total, 6);
    expect(r.prefill!.parts.find((p) => p.part === "weights")!.analytical).toBeCloseTo(predicted.weights, 6);
    expect(r.steps).toEqual([]);
    expect(r.tokens.rtl).toEqual(r.tokens.golden);
  });
});

describe("gen-rtl run --prefill: bad input", () => {
  it("a tile that does not fit CMEM names workload.prefill_batch and what to change; exit 2, no stack trace", async () => {
    const file = variant("specs/fpga-ice40.json", (s) => void (s.workload.prefill_batch = 6), "ice40-b6.json");
    const r = await execa("node", [BIN, "run", file, "--tokens", "1", "--prefill", "--engine", "model"], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/workload\.prefill_batch \(6\).*CMEM.*lower prefill_batch or raise cmem_bytes/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});
