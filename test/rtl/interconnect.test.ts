// The die broadcast bus in Verilator, on four parameter sets: the tiny preset (2 dies × 4 banks,
// 32-bit links, λ = 4), the iCE40 preset (1 die × 2 banks, 16-bit link, λ = 2) and a variant with
// 4 dies, 16-bit links, 4-bit elements and λ = 0, and one whose BRAM and BMEM words are two beats
// wide (the die assembles them). Data against the golden model, cycles against
// the cycle formulas (sim/tests/interconnect.ts).
import { beforeAll, describe, expect, it } from "vitest";
import { loadSpec, parseSpec, type LoadedSpec } from "../../generator/spec/load.js";
import { haveVerilator } from "../../sim/harness/verilator.js";
import { interconnectTests } from "../../sim/tests/interconnect.js";
import { readFileSync } from "node:fs";

function variant(): LoadedSpec {
  const spec = JSON.parse(readFileSync("specs/tiny.json", "utf8"));
  spec.name = "ic_variant";
  spec.chip.dies = 4;
  spec.chip.banks_per_die = 2;
  spec.chip.bus = { bits: 16, latency_cycles: 0 };
  spec.numerics.activation_bits = 4;
  spec.numerics.accumulator_bits = 20;
  return parseSpec(spec, "<ic_variant>");
}

/** 128-bit BMEM words and 32 lanes × 4-bit activations: two 64-bit beats make one BRAM word and one BMEM word. */
function wideWords(): LoadedSpec {
  const spec = JSON.parse(readFileSync("specs/tiny.json", "utf8"));
  spec.name = "ic_wide";
  spec.chip.bank.read_bits = 128;
  spec.chip.bank.mac_lanes = 32;
  spec.numerics.activation_bits = 4;
  return parseSpec(spec, "<ic_wide>");
}

const SEEDS = [1, 77];

describe.each([
  ["tiny", () => loadSpec("specs/tiny.json")],
  ["fpga-ice40", () => loadSpec("specs/fpga-ice40.json")],
  ["variant (4 dies, 16-bit links, 4-bit elements, λ = 0)", variant],
  ["wide words (beats assembled into 128-bit BRAM and BMEM words)", wideWords],
])("interconnect RTL: %s", (_, load) => {
  let ok = false;
  beforeAll(async () => {
    ok = await haveVerilator();
  });
  for (const t of interconnectTests) {
    it.each(SEEDS)(`${t.name}, seed %i`, async (seed) => {
      if (!ok) throw new Error("verilator not found; install it with apt-get install -y verilator");
      const checks = await t.run({ loaded: load(), seed, trace: false, traceDir: "" });
      expect(checks.length).toBeGreaterThan(0);
      for (const c of checks) expect(c, `${c.name}: ${c.detail ?? ""} (seed ${seed})`).toMatchObject({ passed: true });
    }, 300_000);
  }
});
