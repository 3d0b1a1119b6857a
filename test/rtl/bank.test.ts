// The bank in Verilator: every bank test (sim/tests/bank.ts) on five parameter sets, lint of the
// generated RTL of every preset, and the harness's build cache. Expected values come from the
// golden model and the cycle model. Skipped, with a message, only when verilator is not installed.
// Replay a failure with PIM_GEN_SEED=<seed printed in the failure>.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { rtlModules } from "../../generator/rtl/index.js";
import { loadSpec, parseSpec, type LoadedSpec } from "../../generator/spec/load.js";
import type { Spec } from "../../generator/spec/schema.js";
import { buildVerilated, cacheRoot, haveVerilator, lintVerilog, type BuiltModel } from "../../sim/harness/verilator.js";
import { BANK_TESTS, bankBuild, describeFailure, runBankTest } from "../../sim/tests/bank.js";

const SEED = Number(process.env["PIM_GEN_SEED"] ?? 1);
const have = await haveVerilator();
if (!have) console.warn("test/rtl/bank.test.ts: verilator not found; skipping the RTL tests (apt-get install -y verilator)");

function variant(base: string, name: string, edit: (s: Spec) => void): LoadedSpec {
  const s = JSON.parse(readFileSync(base, "utf8")) as Spec;
  s.name = name;
  edit(s);
  return parseSpec(s, `${base} (variant ${name})`);
}

/**
 * The parameter sets: two presets and three variants (lanes, widths, accumulator). KV mode (kv_bits
 * 8 on 4-bit weights unless said): a KV beat spans 2 BMEM words (tiny, fpga-ice40), 4 words
 * (tiny_wide), exactly one word (tiny_l4), half a word (tiny_l2: a word holds 2 KV beats).
 */
const PARAMETER_SETS: { label: string; load: () => LoadedSpec }[] = [
  { label: "tiny (8 lanes = one 32-bit word of 4-bit weights, 24-bit acc)", load: () => loadSpec("specs/tiny.json") },
  { label: "fpga-ice40 (4 lanes, 16-bit words, 20-bit acc)", load: () => loadSpec("specs/fpga-ice40.json") },
  {
    // 4 lanes on 8-weight words: compute-bound, 2 beats per word; a 10-bit accumulator narrower than
    // one product (12 bits): the adder tree truncates and results wrap.
    label: "tiny_l4 (4 lanes on 8-weight words, 10-bit acc)",
    load: () =>
      variant("specs/tiny.json", "tiny_l4", (s) => {
        s.chip.bank.mac_lanes = 4;
        s.numerics.accumulator_bits = 10;
        s.workload.prefill_batch = 3; // GEMM: 3 accumulators (not a power of 2)
      }),
  },
  {
    // 128-bit words (ports wider than 64 bits), 64 lanes asked for but 32 weights per word, 4-bit
    // activations, 32-bit accumulator; 16-bit KV fields: a KV beat of 32 × 16 bits spans 4 words.
    label: "tiny_wide (128-bit words, 32 of 64 lanes, 4-bit activations, 16-bit KV, 32-bit acc)",
    load: () =>
      variant("specs/tiny.json", "tiny_wide", (s) => {
        s.chip.bank.read_bits = 128;
        s.chip.bank.mac_lanes = 64;
        s.numerics.activation_bits = 4;
        s.numerics.kv_bits = 16;
        s.numerics.accumulator_bits = 32;
        s.workload.prefill_batch = 8;
      }),
  },
  {
    // 2 lanes on 8-weight words: 4 weight beats per word, and 2 KV beats (2 × 8 bits) per word.
    label: "tiny_l2 (2 lanes: 4 weight beats and 2 KV beats per 32-bit word)",
    load: () =>
      variant("specs/tiny.json", "tiny_l2", (s) => {
        s.chip.bank.mac_lanes = 2;
      }),
  },
];

describe.skipIf(!have)("bank RTL in Verilator", () => {
  for (const set of PARAMETER_SETS) {
    describe(set.label, () => {
      let loaded: LoadedSpec;
      let model: BuiltModel;
      beforeAll(async () => {
        loaded = set.load();
        model = await buildVerilated(bankBuild(loaded));
      }, 600_000);

      for (const def of BANK_TESTS) {
        it(`${def.name}: ${def.description}`, async () => {
          const r = await runBankTest(model, loaded, def, { seed: SEED });
          if (!r.passed) expect.fail(describeFailure(loaded.file, r));
          if (r.cycles) expect(r.cycles.measured).toBe(r.cycles.model);
        }, 120_000);
      }
    });
  }
});

describe.skipIf(!have)("generated RTL is lint-clean (verilator --lint-only -Wall)", () => {
  for (const file of ["specs/tiny.json", "specs/fpga-ice40.json", "specs/aim-llama7b.json"]) {
    it(file, async () => {
      const mods = rtlModules(loadSpec(file)).filter((m) => /_(dpram|dpram_be|mac_array|bank)$/.test(m.module));
      const files = Object.fromEntries(mods.map((m) => [`${m.module}.v`, m.text]));
      for (const m of mods) expect({ top: m.module, warnings: await lintVerilog(files, m.module) }).toEqual({ top: m.module, warnings: [] });
    }, 120_000);
  }

  it("the bank's KV parameter checks stop elaboration with a message ($error)", async () => {
    const mods = rtlModules(loadSpec("specs/tiny.json")).filter((m) => /_(dpram|dpram_be|mac_array|bank)$/.test(m.module));
    const files = Object.fromEntries(mods.map((m) => [`${m.module}.v`, m.text]));
    const bank = files["tiny_bank.v"]!;
    const set = (text: string, name: string, value: number) => text.replace(new RegExp(`parameter ${name}(\\s+)= \\d+`), `parameter ${name}$1= ${value}`);
    const userErrors = async (text: string) =>
      (await lintVerilog({ ...files, "tiny_bank.v": text }, "tiny_bank")).filter((w) => w.includes("USERERROR")).map((w) => w.replace(/^.*tiny_bank: /, ""));
    // KV_BITS = 12 on 4-bit weights, 48-bit words: a multiple of both; 6 lanes × 12 bits = 72 bits vs a 48-bit word.
    expect(await userErrors(set(set(set(bank, "KV_BITS", 12), "READ_BITS", 48), "LANES", 6))).toEqual(["LANES * KV_BITS and READ_BITS must divide one another"]);
    expect(await userErrors(set(set(bank, "KV_BITS", 16), "WEIGHT_BITS", 32))).toContain("KV_BITS must be a multiple of WEIGHT_BITS");
    expect(await userErrors(set(bank, "BATCH", 0))).toContain("BATCH must be at least 1");
    expect(await userErrors(bank)).toEqual([]);
  }, 60_000);

  it("lintVerilog reports warnings (it is not silently clean)", async () => {
    const bad = "module t(input wire clk, input wire [3:0] a, output reg [1:0] q);\n  always @(posedge clk) q <= a;\nendmodule\n";
    const w = await lintVerilog({ "t.v": bad }, "t");
    expect(w.some((x) => x.includes("WIDTH"))).toBe(true);
  }, 60_000);
});

describe.skipIf(!have)("verilator harness", () => {
  it("caches builds by content: the same sources are not rebuilt", async () => {
    const b = bankBuild(loadSpec("specs/tiny.json"));
    const first = await buildVerilated(b);
    const again = await buildVerilated(b);
    expect(again.cached).toBe(true);
    expect(again.exe).toBe(first.exe);
  }, 600_000);

  it("a build that fails (lint warning under -Wall) throws with Verilator's message and leaves no cache entry", async () => {
    const bad = "module t(input wire clk, input wire [3:0] a, output reg [1:0] q);\n  always @(posedge clk) q <= a;\nendmodule\n";
    const cpp = '#include "Vt.h"\nint main() { return 0; }\n';
    await expect(buildVerilated({ name: "harness_bad", top: "t", sources: { "t.v": bad, "tb.cpp": cpp } })).rejects.toThrow(/WIDTH/);
    const left = existsSync(cacheRoot()) ? readdirSync(cacheRoot()).filter((f) => f.includes("harness_bad")) : [];
    expect(left).toEqual([]);
  }, 120_000);
});
