// The controller's vector ALUs in Verilator: every op (sim/tests/ctrl_sim.ts) bit-exact against the
// golden models on four parameter sets, measured cycles equal to the cycle model
// (generator/model/cycles-controller.ts); lint of every generated ctrl module for the presets and
// variants; the elaboration-time parameter checks. Expected values come from the golden models and
// the cycle model, never from the RTL. Skipped, with a message, only when verilator is not
// installed. Replay a failure with PIM_GEN_SEED=<seed printed in the failure>.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { CTRL_OPS } from "../../generator/model/cycles-controller.js";
import { controllerRtlModules } from "../../generator/rtl/ctrl_index.js";
import { ctrlParams } from "../../generator/rtl/ctrl_params.js";
import { loadSpec, parseSpec, type LoadedSpec } from "../../generator/spec/load.js";
import type { Spec } from "../../generator/spec/schema.js";
import { buildVerilated, haveVerilator, lintVerilog } from "../../sim/harness/verilator.js";
import { ctrlBuild, runCtrlOp } from "../../sim/tests/ctrl_sim.js";

const SEED = Number(process.env["PIM_GEN_SEED"] ?? 1);
const have = await haveVerilator();
if (!have) console.warn("test/rtl/ctrl.test.ts: verilator not found; skipping the RTL tests (apt-get install -y verilator)");

function variant(name: string, edit: (s: Spec) => void): LoadedSpec {
  const s = JSON.parse(readFileSync("specs/tiny.json", "utf8")) as Spec;
  s.name = name;
  edit(s);
  return parseSpec(s, `specs/tiny.json (variant ${name})`);
}

const PARAMETER_SETS: { label: string; load: () => LoadedSpec }[] = [
  { label: "tiny (A=8, 8 lanes, 24-bit acc)", load: () => loadSpec("specs/tiny.json") },
  { label: "fpga-ice40 (A=8, 2 lanes, 20-bit acc)", load: () => loadSpec("specs/fpga-ice40.json") },
  {
    // 12-bit activations: interpolated SiLU, exp clipping, wide shifts; 32-bit accumulators; the
    // divider one quotient bit a cycle (the others: the default 4, or 3: tiny_ctrl_l6).
    label: "tiny_ctrl_w12 (A=12, 4 lanes, 32-bit acc, divider 1 bit a cycle)",
    load: () =>
      variant("tiny_ctrl_w12", (s) => {
        s.numerics.activation_bits = 12;
        s.numerics.accumulator_bits = 32;
        s.chip.controller.divider_bits = 1;
        s.chip.controller.vector_lanes = 4;
        s.chip.controller.mem_bits = 48;
        s.chip.bus.bits = 48;
      }),
  },
  {
    // 6 lanes: 3 RoPE pairs per beat wrap around a head's 8 pairs; 4-bit activations (the seed's),
    // 16-bit accumulators.
    label: "tiny_ctrl_l6 (A=4, 6 lanes, 16-bit acc, divider 3 bits a cycle)",
    load: () =>
      variant("tiny_ctrl_l6", (s) => {
        s.chip.controller.divider_bits = 3;
        s.numerics.activation_bits = 4;
        s.numerics.accumulator_bits = 16;
        s.chip.controller.vector_lanes = 6;
      }),
  },
];

describe.skipIf(!have)("controller vector ALU in Verilator", () => {
  for (const set of PARAMETER_SETS) {
    describe(set.label, () => {
      let loaded: LoadedSpec;
      beforeAll(async () => {
        loaded = set.load();
        await buildVerilated(ctrlBuild(ctrlParams(loaded)));
      }, 600_000);

      for (const op of CTRL_OPS) {
        it(`${op}: bit-exact with the golden model, cycles = model`, async () => {
          const checks = await runCtrlOp(loaded, op, SEED);
          const failed = checks.filter((c) => !c.passed);
          expect(failed.map((c) => `${c.name}: ${c.detail ?? ""}`)).toEqual([]);
          expect(checks.length).toBeGreaterThanOrEqual(6);
          // Stall-free cases must match the model exactly (the 2 % tolerance is not needed).
          for (const c of checks.filter((k) => !k.name.endsWith("_stalls"))) {
            expect(c.cycles?.measured, c.name).toBe(c.cycles?.model);
          }
        }, 120_000);
      }
    });
  }
});

describe.skipIf(!have)("controller ALU RTL lint (verilator --lint-only -Wall)", () => {
  const sets: { label: string; load: () => LoadedSpec }[] = [
    ...PARAMETER_SETS,
    { label: "aim-llama7b (A=4, 256 lanes)", load: () => loadSpec("specs/aim-llama7b.json") },
  ];
  for (const set of sets) {
    it(`${set.label}: every ctrl module lint-clean`, async () => {
      const modules = controllerRtlModules(set.load());
      const byName = new Map(modules.map((m) => [m.module, m]));
      const problems: string[] = [];
      for (const m of modules) {
        const files: Record<string, string> = {};
        const add = (name: string): void => {
          const dep = byName.get(name);
          if (!dep || files[`${name}.v`] !== undefined) return;
          files[`${name}.v`] = dep.text;
          dep.uses.forEach(add);
        };
        add(m.module);
        problems.push(...(await lintVerilog(files, m.module)).map((w) => `${m.module}: ${w}`));
      }
      expect(problems).toEqual([]);
    }, 300_000);
  }

  it("a parameter the tables were not generated for stops elaboration with a message", async () => {
    const modules = controllerRtlModules(loadSpec("specs/tiny.json"));
    const files: Record<string, string> = Object.fromEntries(modules.map((m) => [`${m.module}.v`, m.text]));
    files["bad_top.v"] = [
      "module bad_top (input wire clk, input wire rst, output wire y);",
      "    /* verilator lint_off UNUSEDSIGNAL */",
      "    wire [6:0] yd;",
      "    wire yl, xr;",
      "    /* verilator lint_on UNUSEDSIGNAL */",
      "    tiny_ctrl_softmax #(.LANES(1), .A(7), .LEN_W(9), .DEPTH(4)) u (.clk(clk), .rst(rst), .len(9'd1),",
      "        .x_valid(1'b0), .x_ready(xr), .x_data(7'd0), .y_valid(y), .y_ready(1'b1), .y_data(yd), .y_last(yl));",
      "endmodule",
      "",
    ].join("\n");
    const messages = await lintVerilog(files, "bad_top");
    expect(messages.join("\n")).toMatch(/tiny_ctrl_softmax: A must be 8/);
  }, 60_000);
});
