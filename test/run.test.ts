// `gen-rtl run` (sim/decode/): LLaMA decode on the chip against the golden LLaMA.
//   (a) both engines (instruction-level chip model; the Verilated chip) on specs/tiny.json, a
//       bank_per_head variant of it and a variant with an MLP of 180 (gate and up: 46 rows a bank,
//       not whole 4-element bus words, so the element-packed gathers share words between banks),
//       both written to temp files, seeds 1 and 2, a prompt of 3 and 3
//       tokens: the tokens are the golden model's, every layer output and the logits match at
//       every step, and (RTL) each step's measured cycles are the instruction model's within 2 %;
//   (b) the CLI as a subprocess: the --json shape, bad --tokens (exit 2, one line, no stack trace);
//   (c) a fault: one s_data word of the load program flipped → a mismatch is reported, exit 1 (the
//       comparison can fail).
// The variants keep the name "tiny": their chip RTL is the same text, so all share one cached
// Verilator build (a cold build of the tiny chip takes about a minute).
import { execa } from "execa";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileDecode, instructionsOf } from "../generator/compiler/index.js";
import { drainedShapes, instructionCycles, programCycles } from "../generator/model/cycles-chip.js";
import { chipParams } from "../generator/rtl/chip.js";
import { loadSpec, type LoadedSpec } from "../generator/spec/load.js";
import type { Spec } from "../generator/spec/schema.js";
import { randomLlamaWeights } from "../sim/golden/llama-weights.js";
import { decodeTokens } from "../sim/golden/llama.js";
import { bankWaitsToGemv } from "../sim/decode/cycles.js";
import { runOnRtl } from "../sim/decode/engine-rtl.js";
import type { Engine } from "../sim/decode/engine.js";
import { progressLine } from "../sim/decode/progress.js";
import { choosePromptLength, DEFAULT_PROMPT_CAP, drawPrompt } from "../sim/decode/prompt.js";
import { runJson } from "../sim/decode/report.js";
import { passed, runDecode, type RunResult } from "../sim/decode/run.js";
import { haveVerilator } from "../sim/harness/verilator.js";
import { cyclesWithinTolerance } from "../sim/suite.js";

const have = await haveVerilator();
if (!have) console.warn("test/run.test.ts: verilator not found; skipping the RTL engine (apt-get install -y verilator)");

const BIN = join(process.cwd(), "bin", "gen-rtl.js");
const dir = mkdtempSync(join(tmpdir(), "pim-gen-run-test-"));
const BPH_FILE = join(dir, "tiny-bank-per-head.json");
{
  const s = JSON.parse(readFileSync("specs/tiny.json", "utf8")) as Spec & { $schema?: string };
  delete s.$schema;
  s.workload.attention_mapping = "bank_per_head";
  writeFileSync(BPH_FILE, JSON.stringify(s, null, 2));
}
const MLP180_FILE = join(dir, "tiny-mlp-180.json");
{
  const s = JSON.parse(readFileSync("specs/tiny.json", "utf8")) as Spec & { $schema?: string };
  delete s.$schema;
  if (typeof s.model !== "object") throw new Error("specs/tiny.json: a custom model expected");
  s.model.intermediate_size = 180;
  writeFileSync(MLP180_FILE, JSON.stringify(s, null, 2));
}
const SPECS: readonly [string, string][] = [
  ["specs/tiny.json (banks_per_head)", "specs/tiny.json"],
  ["tiny, bank_per_head (temp file)", BPH_FILE],
  ["tiny, MLP 180: packed gathers sharing words (temp file)", MLP180_FILE],
];

async function genRtl(args: string[]) {
  return execa("node", [BIN, ...args], { reject: false, stripFinalNewline: false });
}

/** The run's tokens are the golden model's, computed here on its own; every step matches. */
function expectGolden(loaded: LoadedSpec, r: RunResult, seed: number): void {
  const w = randomLlamaWeights(loaded, seed);
  const gold = decodeTokens(w, drawPrompt(seed, w.dims.vocab, 3), 3);
  expect(r.tokens.golden).toEqual(gold.tokens);
  expect(r.tokens.rtl).toEqual(gold.tokens);
  expect(r.steps.length).toBe(3 + 3 - 1);
  r.steps.forEach((s, i) => {
    expect(s.token_in, `step ${i}: teacher forcing`).toBe(gold.steps[i]!.token);
    expect(s.layers_match, `step ${i}: every layer output`).toEqual(Array.from({ length: loaded.derived.model.num_hidden_layers }, () => true));
    expect(s.logits_match).toBe(true);
    expect(s.match).toBe(true);
  });
  expect(r.mismatch_count).toBe(0);
  expect(r.problems).toEqual([]);
  expect(passed(r)).toBe(true);
}

describe.each(SPECS)("gen-rtl run on %s", (_, file) => {
  const loaded = loadSpec(file, { rtl: true });
  const engines: { engine: Engine; skip: boolean }[] = [
    { engine: "model", skip: false },
    { engine: "rtl", skip: !have },
  ];
  for (const { engine, skip } of engines) {
    for (const seed of [1, 2]) {
      it.skipIf(skip)(`engine ${engine}, seed ${seed}: the golden tokens, every layer output and the logits bit for bit${engine === "rtl" ? ", cycles as the instruction model" : ""}`, async () => {
        const r = await runDecode(loaded, { tokens: 3, promptLen: 3, seed, engine });
        expectGolden(loaded, r, seed);
        for (const s of r.steps) {
          const c = s.cycles;
          expect(c.model.decode).toBeGreaterThan(0);
          expect(c.model.whole).toBeGreaterThan(c.model.decode);
          expect(c.analytical).toBeGreaterThan(0);
          if (engine === "model") {
            expect(c.measured).toBeNull();
            continue;
          }
          expect(c.measured).not.toBeNull();
          expect(cyclesWithinTolerance(c.measured!.whole, c.model.whole), `step ${s.step}: ${c.measured!.whole} measured, ${c.model.whole} by the model`).toBe(true);
          expect(cyclesWithinTolerance(c.measured!.decode, c.model.decode)).toBe(true);
          // The breakdown adds up to the step.
          expect(c.parts.reduce((sum, p) => sum + p.measured!, 0)).toBe(c.measured!.whole);
          expect(c.layers.reduce((sum, l) => sum + l.measured!.whole, 0)).toBe(c.measured!.whole);
        }
        if (engine === "rtl") expect(cyclesWithinTolerance(r.load.measured!, r.load.model)).toBe(true);
      }, 600_000);
    }
  }
});

// specs/tiny.json's two KV heads each have a bank on die 0 and one on die 1 (slots 0, 1 and 2, 3
// dealt over 2 dies): their scores come back in one gather (the RTL engine above runs it).
describe("gen-rtl run on specs/tiny.json: the score gathers", () => {
  it("one gather of both KV heads per query-group member, each head's 2 banks interleaved word by word", () => {
    const loaded = loadSpec("specs/tiny.json", { rtl: true });
    const gathers = compileDecode(loaded, randomLlamaWeights(loaded, 1))
      .step(15, 5)
      .instrs.filter((t) => t.tag.what.startsWith("gather scores"));
    const layer = ["gather scores dies 0, 1 (query heads 0, 2)", "gather scores dies 0, 1 (query heads 1, 3)"];
    expect(gathers.map((t) => t.tag.what)).toEqual([...layer, ...layer]);
    // Banks 0, 4 (head 0) and 1, 5 (head 1).
    expect(gathers.every((t) => t.instr.op === "gather" && BigInt(t.instr.mask) === 0b110011n)).toBe(true);
  });
});

// bank_per_head with two KV heads on a die (8 query heads, 4 KV heads, head_dim 8): the scores of a
// die's heads come back in one gather, back to back. Its RoPE differs from tiny's (head_dim), so it
// is a chip of its own; the chip model engine only (the RTL runs the same instructions in the
// chip tests: gathers of several banks of a die, chip/odd and chip/attn).
const BPH8_FILE = join(dir, "tiny-bank-per-head-8-heads.json");
{
  const s = JSON.parse(readFileSync(BPH_FILE, "utf8")) as Spec;
  if (typeof s.model !== "object") throw new Error("specs/tiny.json: a custom model expected");
  s.model.num_attention_heads = 8;
  s.model.num_key_value_heads = 4;
  writeFileSync(BPH8_FILE, JSON.stringify(s, null, 2));
}
describe("gen-rtl run, bank_per_head with two KV heads a die", () => {
  const loaded = loadSpec(BPH8_FILE, { rtl: true });
  it("the score gathers are one a die, and the tokens, every layer and the logits are the golden model's (seeds 1, 2)", async () => {
    const gathers = compileDecode(loaded, randomLlamaWeights(loaded, 1))
      .step(15, 5)
      .instrs.filter((t) => t.tag.what.startsWith("gather scores"));
    // Position 15: 16 scores a bank = 128 bits = two 64-bit CMEM words; 2 dies × 2 query-group members, 2 layers.
    const layer = ["gather scores die 0 (query heads 0, 4)", "gather scores die 1 (query heads 2, 6)", "gather scores die 0 (query heads 1, 5)", "gather scores die 1 (query heads 3, 7)"];
    expect(gathers.map((t) => t.tag.what)).toEqual([...layer, ...layer]);
    for (const seed of [1, 2]) expectGolden(loaded, await runDecode(loaded, { tokens: 3, promptLen: 3, seed, engine: "model" }), seed);
  }, 600_000);
});

describe("the analytical model beside the steps", () => {
  it("its components add up to the token, its layers and the outside to the whole", async () => {
    const loaded = loadSpec("specs/tiny.json", { rtl: true });
    const r = await runDecode(loaded, { tokens: 1, promptLen: 2, seed: 3, engine: "model" });
    for (const s of r.steps) {
      const c = s.cycles;
      expect(c.parts.filter((p) => p.component !== "host").reduce((sum, p) => sum + p.analytical!, 0)).toBeCloseTo(c.analytical, 6);
      expect(c.layers.reduce((sum, l) => sum + l.analytical, 0)).toBeCloseTo(c.analytical, 6);
      // The instruction model's breakdown adds up too; host I/O is the only difference of the two sums.
      expect(c.parts.reduce((sum, p) => sum + p.model, 0)).toBe(c.model.whole);
      expect(c.model.whole - c.model.decode).toBe(c.parts.find((p) => p.component === "host")!.model);
    }
    // Attention grows with the context.
    expect(r.steps[1]!.cycles.analytical).toBeGreaterThan(r.steps[0]!.cycles.analytical);
  });

  it("the time a gather waits for the banks is moved to its GEMV: sums kept, every gather at its idle-bank cycles", () => {
    const loaded = loadSpec("specs/tiny.json", { rtl: true });
    const p = chipParams(loaded);
    const step = compileDecode(loaded, randomLlamaWeights(loaded, 1)).step(0, 5, { readLayers: true });
    const cycles = programCycles(p, loaded.derived, instructionsOf(step));
    const raw = cycles.map((c) => c.cycles);
    const moved = bankWaitsToGemv(p, loaded.derived, step, raw);
    expect(moved.reduce((a, b) => a + b, 0)).toBe(raw.reduce((a, b) => a + b, 0));
    // The shape each gather drains, tracked here on its own: the last gemv's (prev: the one before).
    let last = { rows: 0, pack: false };
    let before = last;
    let waited = 0;
    step.instrs.forEach(({ instr }, i) => {
      if (instr.op === "gather") {
        const s = Number(instr.prev ?? 0) === 1 ? before : last;
        expect(moved[i]).toBe(instructionCycles(p, loaded.derived, instr, s.rows, s.pack).cycles);
        waited += raw[i]! - moved[i]!;
        // The wait the cycle model reports for it.
        expect(raw[i]! - moved[i]!).toBe(cycles[i]!.wait ?? 0);
      }
      if (instr.op === "gemv") {
        before = last;
        last = { rows: Number(instr.rows), pack: Number(instr.pack ?? 0) === 1 };
      } else expect(moved[i]! <= raw[i]!).toBe(true);
    });
    expect(waited).toBeGreaterThan(0);
  });
});

describe("the prompt", () => {
  const tiny = loadSpec("specs/tiny.json");
  it(`defaults to workload.prompt_len capped at ${DEFAULT_PROMPT_CAP}, and says so; shrinks to fit the context`, () => {
    expect(choosePromptLength(tiny, 3)).toMatchObject({ length: DEFAULT_PROMPT_CAP, note: expect.stringMatching(/workload\.prompt_len = 16/) });
    expect(choosePromptLength(tiny, 60)).toMatchObject({ length: 5, note: expect.stringMatching(/fit the context of 64/) });
    expect(choosePromptLength(tiny, 3, 5)).toEqual({ length: 5, note: null });
    expect(choosePromptLength(tiny, 64, 1)).toEqual({ length: 1, note: null });
    expect(() => choosePromptLength(tiny, 60, 8)).toThrow(/needs 67 positions/);
    expect(() => choosePromptLength(tiny, 65)).toThrow(/context_len = 64/);
  });
  it("is seeded: the same seed, the same tokens, all in the vocabulary", () => {
    expect(drawPrompt(4, 256, 6)).toEqual(drawPrompt(4, 256, 6));
    expect(drawPrompt(4, 256, 6)).not.toEqual(drawPrompt(5, 256, 6));
    expect(drawPrompt(4, 10, 50).every((t) => t >= 0 && t < 10)).toBe(true);
  });
});

describe("the progress line", () => {
  function fake(isTTY: boolean) {
    const out: string[] = [];
    return { stream: { isTTY, columns: 80, write: (t: string) => out.push(t) }, out };
  }
  it("on a terminal: one line rewritten with \\r, per-step updates, cleared at the end", () => {
    const { stream, out } = fake(true);
    const line = progressLine(stream, "gen-rtl run");
    line.update("compile", "step 1/3");
    line.update("compile", "step 2/3");
    line.done();
    expect(out.every((t) => t.startsWith("\r") && !t.includes("\n"))).toBe(true);
    expect(out[1]).toContain("compile: step 2/3");
    expect(out[out.length - 1]).toBe("\r\x1b[K");
  });
  it("elsewhere: one plain line per phase", () => {
    const { stream, out } = fake(false);
    const line = progressLine(stream, "gen-rtl run");
    line.update("compile", "step 1/3");
    line.update("compile", "step 2/3");
    line.update("compare");
    line.done();
    expect(out).toEqual(["gen-rtl run: compile: step 1/3\n", "gen-rtl run: compare\n"]);
  });
});

describe("gen-rtl run (the CLI)", () => {
  it("--json: tokens, cycles per generated token, the breakdown; exit 0", async () => {
    const r = await genRtl(["run", "specs/tiny.json", "--tokens", "2", "--prompt-len", "2", "--seed", "2", "--engine", have ? "rtl" : "model", "--json"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toBe(""); // no progress line with --json
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(expect.arrayContaining(["tokens", "cycles_per_token", "breakdown", "prompt", "steps", "mismatches"]));
    expect(out.tokens.rtl).toEqual(out.tokens.golden);
    expect(out.tokens.golden).toHaveLength(2);
    expect(out.prompt.tokens).toHaveLength(2);
    const c = out.cycles_per_token;
    expect(c.steps).toEqual([1, 2]); // the steps that give the 2 generated tokens
    for (const k of ["measured", "model", "analytical", "measured_with_host", "model_with_host"]) expect(c[k], k).toHaveLength(2);
    if (have) expect(c.measured).toEqual(c.model);
    else expect(c.measured).toEqual([null, null]);
    expect(out.breakdown.step).toBe(2);
    expect(Object.keys(out.breakdown.parts)).toEqual(["intra_bank_weights", "intra_bank_kv", "controller_bank_weights", "controller_bank_kv", "intra_controller_weights", "intra_controller_kv", "host"]);
    expect(out.breakdown.layers.map((l: { layer: number | null }) => l.layer)).toEqual([0, 1, null]);
    expect(out.steps).toHaveLength(3);
    expect(out.match).toBe(true);
    expect(out.mismatches).toEqual([]);
  }, 600_000);

  it("the text: a progress line per phase on stderr, the table and the breakdown on stdout", async () => {
    const r = await genRtl(["run", "specs/tiny.json", "--tokens", "1", "--prompt-len", "2", "--engine", "model"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^gen-rtl run: weights\/golden.*\ngen-rtl run: compile/);
    expect(r.stdout).toMatch(/step\s+position\s+token in\s+chip token\s+golden token\s+match\s+cycles measured\s+instruction model\s+analytical model/);
    expect(r.stdout).toContain("Breakdown of the last step");
    expect(r.stdout).toContain("every step matches the golden LLaMA bit for bit");
  });

  for (const bad of ["0", "abc", "-1", "2.5"]) {
    it(`--tokens ${bad}: exit 2, one error line, no stack trace`, async () => {
      const r = await genRtl(["run", "specs/tiny.json", "--tokens", bad, "--engine", "model"]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(/^gen-rtl: error: .*--tokens/);
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(r.stdout).toBe("");
    });
  }

  it("--tokens beyond the context: exit 2, one line", async () => {
    const r = await genRtl(["run", "specs/tiny.json", "--tokens", "60", "--prompt-len", "8", "--engine", "model"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^gen-rtl: error: --prompt-len 8 with --tokens 60 needs 67 positions.*context_len = 64/);
  });
});

describe("a fault in the load program is caught", () => {
  // A host word of bank 0's Wo rows (bank 0's image is the load program's first s_data words):
  // the attention output projection feeds the residual directly, so layer 0's output changes at
  // step 0. (Word 0, bank 0's first Wq weights, would not do: at position 0 softmax over one score
  // is 1 whatever q is.)
  const loaded = loadSpec("specs/tiny.json", { rtl: true });
  const layout = compileDecode(loaded, randomLlamaWeights(loaded, 1)).layout;
  const WORD = (layout.layers[0]!.o.wBase * layout.p.bank.read_bits) / layout.p.host_bits;
  const engines: { engine: Engine; skip: boolean }[] = [
    { engine: "model", skip: false },
    { engine: "rtl", skip: !have },
  ];
  for (const { engine, skip } of engines) {
    it.skipIf(skip)(`engine ${engine}: one s_data word of bank 0's Wo flipped → mismatch named, exit 1`, async () => {
      expect(Number.isInteger(WORD)).toBe(true);
      const r = await genRtl(["run", "specs/tiny.json", "--tokens", "2", "--prompt-len", "1", "--engine", engine, "--corrupt-load-word", String(WORD)]);
      expect(r.exitCode, r.stderr).toBe(1);
      expect(r.stdout).toMatch(/MISMATCH: \d+ difference/);
      expect(r.stdout).toMatch(/\bNO\b/);
      const err = r.stderr.trimEnd().split("\n").pop()!;
      expect(err).toMatch(/^gen-rtl: error: the chip differs from the golden LLaMA: step 0 \(position 0\): layer 0 output element \d+: chip -?\d+, golden -?\d+/);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }, 600_000);
  }

  it("the JSON names the first mismatch", async () => {
    const r = await runDecode(loaded, { tokens: 1, promptLen: 1, seed: 1, engine: "model", corruptLoadWord: WORD });
    expect(passed(r)).toBe(false);
    const j = runJson(r);
    expect(j.match).toBe(false);
    expect(j.first_mismatch).toMatch(/^step 0 \(position 0\): layer 0 output element/);
    expect(j.mismatches[0]).toMatchObject({ step: 0, pos: 0, what: "layer_output", layer: 0 });
  });
});

// The KV appends run while the banks compute: k's RoPE and the K appends under the V GEMV, then
// the rest and the V appends under Q, what does not fit under the first scores (each between a
// gemv and the gather that follows it). The same steps with the appends moved after Q's gather (no
// overlap) run on the same chip: the data is the same, each run's cycles are the instruction
// model's, and the overlapped steps are faster by exactly what the model says the overlap hides:
// per window, min(the appends' cycles, the part of the GEMV they ran beside).
describe.skipIf(!have)("the BMEM back door (the benchmark's weight load)", () => {
  it("preloading the load program's BMEM words gives the same results and step cycles as loading them over the bus", async () => {
    const loaded = loadSpec("specs/tiny.json", { rtl: true });
    const w = randomLlamaWeights(loaded, 5);
    const c = compileDecode(loaded, w);
    const programs = [c.load, c.step(0, 7, { readLayers: true }), c.step(1, 9, { readLayers: true })];
    const hooks = { building: () => {}, simulating: () => {} };
    const bus = await runOnRtl(loaded, programs, hooks);
    const pre = await runOnRtl(loaded, programs, hooks, { preloadBmem: true });
    expect(bus.problems).toEqual([]);
    expect(pre.problems).toEqual([]);
    expect(pre.reads).toEqual(bus.reads);
    expect(pre.measured!.slice(1)).toEqual(bus.measured!.slice(1));
    // Every ld_bmem of the load program went through the back door: 0 cycles each, and every BMEM word of the images.
    const lds = c.load.instrs.map((t, i) => [t.instr.op, i] as const).filter(([op]) => op === "ld_bmem");
    for (const [, i] of lds) {
      expect(pre.measured![0]![i]).toBe(0);
      expect(bus.measured![0]![i]).toBeGreaterThan(0);
    }
    const bmemWords = c.load.instrs.reduce((s, t) => s + (t.instr.op === "ld_bmem" ? (Number(t.instr.n) * c.layout.p.host_bits) / c.layout.p.bank.read_bits : 0), 0);
    expect(pre.sim!.preloaded_bmem_words).toBe(bmemWords);
    expect(pre.sim!.cycles).toBeLessThan(bus.sim!.cycles);
  }, 600_000);
});

describe.skipIf(!have)("the KV appends overlap the V, Q and score GEMVs", () => {
  it("tiny: same results, fewer cycles, by the hidden amount the model computes", async () => {
    const { runOnRtl } = await import("../sim/decode/engine-rtl.js");
    const { runProgram } = await import("../generator/compiler/index.js");
    const { ChipModel } = await import("../sim/golden/chip.js");
    const loaded = loadSpec("specs/tiny.json", { rtl: true });
    const w = randomLlamaWeights(loaded, 3);
    const c = compileDecode(loaded, w);
    const prompt = [5, 9, 2, 7];
    const steps = prompt.map((t, pos) => c.step(pos, t));
    const isAppend = (op: string) => op === "st_bmem" || op === "st_vt";
    // Each layer's appends moved to just after its own V gather (the last of K, Q, V).
    const serial = steps.map((s) => ({
      ...s,
      instrs: s.instrs.flatMap((t) =>
        isAppend(t.instr.op) ? [] : t.tag.what === "gather v" ? [t, ...s.instrs.filter((u) => isAppend(u.instr.op) && u.tag.layer === t.tag.layer)] : [t],
      ),
    }));
    const p = chipParams(loaded);
    const sumModel = (progs: typeof steps) => programCycles(p, loaded.derived, progs.flatMap(instructionsOf)).reduce((s, x) => s + x.cycles, 0);
    const hooks = { building: () => {}, simulating: () => {} };
    const a = await runOnRtl(loaded, [c.load, ...steps], hooks);
    const b = await runOnRtl(loaded, [c.load, ...serial], hooks);
    expect(a.problems).toEqual([]);
    expect(b.problems).toEqual([]);
    // The same logits as the golden chip model, both ways.
    const chip = new ChipModel(p);
    runProgram(chip, c.load);
    const golden = steps.map((s) => runProgram(chip, s));
    expect(a.reads.slice(1)).toEqual(golden);
    expect(b.reads.slice(1)).toEqual(golden);
    const total = (r: typeof a) => r.measured!.slice(1).flat().reduce((s, x) => s + x, 0);
    expect(total(a)).toBe(sumModel(steps));
    expect(total(b)).toBe(sumModel(serial));
    // Hidden per window (a gemv and the instructions up to the next gemv or the next gather that
    // waits for the banks, one without prev; a gather with prev inside is other work): a gemv starts the banks
    // one cycle after its accept and ends a cycle later; the banks are idle core + 1 cycles after
    // they start. In the window run first other work (R cycles: k's RoPE under Q), then appends (A).
    // Overlapped, the gather waits max(0, core - 1 - R - A) after R + A cycles; serial, it waits
    // max(0, core - 1 - R) after R and the appends follow: the overlap saves min(A, max(0, core - 1 - R)).
    const windows: { what: string; a: number; saved: number }[] = [];
    for (const s of steps) {
      const shapes = drainedShapes(instructionsOf(s));
      const cyc = (j: number) => instructionCycles(p, loaded.derived, s.instrs[j]!.instr, shapes[j]?.rows ?? 0, shapes[j]?.pack ?? false).cycles;
      s.instrs.forEach((g, i) => {
        if (g.instr.op !== "gemv") return;
        const end = s.instrs.findIndex((t, j) => j > i && (t.instr.op === "gemv" || (t.instr.op === "gather" && Number(t.instr.prev ?? 0) === 0)));
        const inside = s.instrs.map((t, j) => ({ t, j })).slice(i + 1, end);
        const a = inside.filter(({ t }) => isAppend(t.instr.op)).reduce((sum, { j }) => sum + cyc(j), 0);
        if (a === 0) return;
        const r = inside.filter(({ t }) => !isAppend(t.instr.op)).reduce((sum, { j }) => sum + cyc(j), 0);
        windows.push({ what: g.tag.what, a, saved: Math.min(a, Math.max(0, instructionCycles(p, loaded.derived, g.instr).core - 1 - r)) });
      });
    }
    // Appends run only under V, Q and the first scores, in every layer of every step.
    expect(windows.every((x) => ["gemv v", "gemv q", "gemv scores"].some((w) => x.what.startsWith(w)))).toBe(true);
    // Every layer of every step has appends under Q or V (how many in each depends on what else the
    // window holds: k's RoPE and K's gather under Q; q's RoPE, its broadcast and Q's gather under V).
    expect(windows.filter((x) => x.what === "gemv v" || x.what === "gemv q").length).toBeGreaterThanOrEqual(prompt.length * loaded.derived.model.num_hidden_layers);
    const hidden = windows.map((x) => x.saved);
    expect(total(b) - total(a)).toBe(hidden.reduce((s, x) => s + x, 0));
    expect(total(a)).toBeLessThan(total(b));
  }, 300_000);
});
