// The whole chip in Verilator (sim/tests/chip.ts), on four parameter sets: the tiny preset (2 dies
// × 4 banks, 64-bit host words = broadcast beats = BRAM words, BMEM words half a beat, λ = 4), the
// iCE40 preset (1 die × 2 banks, 16-bit words, two beats per BRAM word, λ = 2), the UP5K preset
// (its controller builds 4 of the 9 ALU ops: chip/vop shows the other 5 are nops), and a variant
// whose host words (48 bits) are narrower than a broadcast beat (4 dies × 16 bits) and do not
// divide it, with 4-bit activations, BRAM words of two MAC beats and λ = 3. Data against the
// chip's golden model, every instruction's cycles against the chip cycle model, with two
// +verilator+seed values each.
import { describe, expect, it } from "vitest";
import { loadSpec } from "../../generator/spec/load.js";
import { haveVerilator } from "../../sim/harness/verilator.js";
import { chipTests } from "../../sim/tests/chip.js";
import { chipVariant } from "../fixtures.js";

const have = await haveVerilator();
if (!have) console.warn("test/rtl/chip.test.ts: verilator not found; skipping the chip tests (apt-get install -y verilator)");

const SEED = Number(process.env["PIM_GEN_SEED"] ?? 1);

describe.skipIf(!have).each([
  ["tiny", () => loadSpec("specs/tiny.json")],
  ["fpga-ice40", () => loadSpec("specs/fpga-ice40.json")],
  ["fpga-up5k (ALU ops add, mul, sum, max only; 2 MAC lanes, 8-bit BMEM words)", () => loadSpec("specs/fpga-up5k.json")],
  ["variant (4 dies, 48-bit host words < 64-bit beats, 4-bit activations, λ = 3)", chipVariant],
])("chip RTL: %s", (_, load) => {
  for (const t of chipTests) {
    it(`${t.name}: ${t.description}`, async () => {
      const checks = await t.run({ loaded: load(), seed: SEED, trace: false, traceDir: "" });
      expect(checks.length).toBeGreaterThan(0);
      for (const c of checks) expect(c, `${c.name}: ${c.detail ?? ""} (seed ${SEED}; replay with PIM_GEN_SEED=${SEED})`).toMatchObject({ passed: true });
    }, 600_000);
  }
});
