// gen-rtl synth: the cell → resource tables of every target and the device capacities (expected
// values from the vendors' datasheets and hand counting, not from the code), the hierarchy
// arithmetic, the checks on hand-made netlists, real Yosys runs (fpga-ice40 on iCE40, ECP5 and
// Xilinx against the stored baselines — the one set of expected numbers copied from runs, by
// design: a regression guard — and two deliberately broken RAMs that the block-RAM check must
// fail), place and route of a small design on the UP5K, and the CLI's errors.
import { execa } from "execa";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { compareWithBaseline, type Baseline } from "../generator/synth/baselines.js";
import { classifyCell, resourcesOf } from "../generator/synth/cells.js";
import { bramCheck, dspCheck, synthChecks } from "../generator/synth/checks.js";
import { DEVICES, overflowMessage, overflows } from "../generator/synth/devices.js";
import { baseName, summariseNetlist, type NetlistSummary } from "../generator/synth/netlist.js";
import { parseMaxFrequency, parseNextpnrReport, placeAndRouteIce40 } from "../generator/synth/nextpnr.js";
import { designResources, instanceCounts } from "../generator/synth/resources.js";
import { synthSpec, type SynthResult } from "../generator/synth/synth.js";
import { dspExpected } from "../generator/synth/targets.js";
import { toolVersion, YOSYS } from "../generator/synth/tools.js";
import { synthIce40Netlist, synthResources } from "../generator/synth/yosys.js";
import { UserError } from "../generator/errors.js";
import { loadSpec } from "../generator/spec/load.js";

const BIN = join(process.cwd(), "bin", "gen-rtl.js");

async function have(cmd: string): Promise<boolean> {
  const r = await execa(cmd, ["-h"], { reject: false });
  return !(r.failed && (r as { code?: string }).code === "ENOENT");
}
const HAVE_YOSYS = await have("yosys");
const HAVE_PNR = HAVE_YOSYS && (await have("nextpnr-ice40")) && (await have("icepack"));

function scratch(): string {
  return mkdtempSync(join(tmpdir(), "pim-gen-synth-"));
}

describe("cell → resource tables", () => {
  it("iCE40: SB_LUT4, every SB_DFF*, SB_RAM40_4K*, SB_MAC16, SB_CARRY", () => {
    const r = resourcesOf("ice40", {
      SB_LUT4: 10,
      SB_DFF: 2,
      SB_DFFESR: 3,
      SB_DFFNSS: 1,
      SB_RAM40_4K: 1,
      SB_RAM40_4KNR: 1,
      SB_MAC16: 2,
      SB_CARRY: 5,
      SB_IO: 4,
    });
    // The sum LUT of an iCE40 carry is its own SB_LUT4: SB_CARRY adds no LUT.
    expect(r).toEqual({ lut: 10, ff: 6, bram: 2, dsp: 2, carry: 5, lutram: 0, unmapped: 0 });
  });

  it("ECP5: LUT4, TRELLIS_FF, DP16KD, MULT18X18D, CCU2C (two LUT4s each), distributed RAM, slice muxes", () => {
    const r = resourcesOf("ecp5", { LUT4: 10, CCU2C: 3, TRELLIS_FF: 7, DP16KD: 2, MULT18X18D: 1, PFUMX: 4, L6MUX21: 2, TRELLIS_DPR16X4: 1 });
    // 10 LUT4 + 3 CCU2C × 2 LUT4 + a 16×4 RAM in 4 LUTs = 20 LUT sites; PFUMX/L6MUX21 are not LUTs.
    expect(r).toEqual({ lut: 20, ff: 7, bram: 2, dsp: 1, carry: 3, lutram: 1, unmapped: 0 });
  });

  it("Xilinx 7-series: LUT1–6, FD*, RAMB18E1 / RAMB36E1 (two RAMB18s), DSP48E1, CARRY4, LUT RAM", () => {
    const r = resourcesOf("xilinx", {
      LUT1: 1,
      LUT6: 4,
      FDRE: 3,
      FDSE: 1,
      FDCE: 1,
      RAMB36E1: 1,
      RAMB18E1: 1,
      DSP48E1: 2,
      CARRY4: 2,
      MUXF7: 1,
      RAM64M: 1,
      IBUF: 5,
    });
    // RAM64M is a SLICEM's four LUTs; a RAMB36 is two 18 Kbit halves (XC7A100T: 135 RAMB36 = 270 RAMB18).
    expect(r).toEqual({ lut: 9, ff: 5, bram: 3, dsp: 2, carry: 2, lutram: 1, unmapped: 0 });
  });

  it("Gowin: LUT1–4, DFF*, BSRAM in every mode, MULT*, ALU (one LUT each), shadow SRAM", () => {
    const r = resourcesOf("gowin", {
      LUT4: 3,
      LUT1: 1,
      ALU: 2,
      DFFRE: 2,
      DFF: 1,
      SDPX9B: 1,
      DPB: 1,
      SP: 1,
      MULT18X18: 1,
      MULT9X9: 1,
      MUX2_LUT5: 2,
      RAM16SDP4: 1,
    });
    expect(r).toEqual({ lut: 10, ff: 3, bram: 3, dsp: 2, carry: 2, lutram: 1, unmapped: 0 });
  });

  it("Yosys internal cells are unmapped on every target; unknown vendor cells are not counted", () => {
    for (const t of ["ice40", "ecp5", "xilinx", "gowin"] as const) {
      expect(classifyCell(t, "$mem_v2").kind).toBe("unmapped");
      expect(resourcesOf(t, { $mul: 2, SOMETHING_ELSE: 3 })).toEqual({ lut: 0, ff: 0, bram: 0, dsp: 0, carry: 0, lutram: 0, unmapped: 2 });
    }
  });
});

describe("devices and fit", () => {
  it("capacities are the datasheets'", () => {
    // iCE40 UltraPlus DS (FPGA-DS-02008): UP5K 5280 LUT4/FF, 30 × 4 Kbit EBR, 8 DSP.
    expect(DEVICES.ice40).toMatchObject({ lut: 5280, ff: 5280, bram: 30, dsp: 8 });
    // ECP5 DS (FPGA-DS-02012): LFE5U-85F 84K LUTs, 208 EBR (3744 Kbit / 18), 156 18×18 multipliers.
    expect(DEVICES.ecp5).toMatchObject({ lut: 83640, bram: 3744 / 18, dsp: 156 });
    // DS180: XC7A100T 63,400 LUTs, 126,800 FFs, 4,860 Kb of BRAM = 135 × 36 Kb, 240 DSP48E1.
    expect(DEVICES.xilinx).toMatchObject({ lut: 63400, ff: 126800, bram: (4860 / 36) * 2, dsp: 240 });
    // GW1N-9 DS100: 8,640 LUT4, 6,480 FFs, 468 Kbit BSRAM / 18 Kbit = 26, 20 multipliers.
    expect(DEVICES.gowin).toMatchObject({ lut: 8640, ff: 6480, bram: 468 / 18, dsp: 20 });
  });

  it("a design too big for the UP5K names each resource, its need and the capacity", () => {
    const r = { lut: 6000, ff: 100, bram: 31, dsp: 8, carry: 0, lutram: 0, unmapped: 0 };
    const over = overflows(r, DEVICES.ice40);
    expect(over).toEqual([
      { resource: "lut", need: 6000, capacity: 5280 },
      { resource: "bram", need: 31, capacity: 30 },
    ]);
    expect(overflowMessage(over, DEVICES.ice40)).toBe("LUTs: need 6000, the iCE40UP5K-SG48 has 5280; block RAMs: need 31, the iCE40UP5K-SG48 has 30");
    expect(overflows({ ...r, lut: 5280, bram: 30 }, DEVICES.ice40)).toEqual([]);
  });

  it("DSP mapping thresholds of Yosys 0.23 (mul2dsp options of each synth script)", () => {
    // iCE40: product ≥ 11 bits. 4×4 → 8 bits: LUTs; 4×8 → 12 bits: SB_MAC16.
    expect(dspExpected("ice40", 4, 4)).toBe(false);
    expect(dspExpected("ice40", 4, 8)).toBe(true);
    expect(dspExpected("ice40", 1, 16)).toBe(false);
    // Xilinx: product ≥ 9 bits.
    expect(dspExpected("xilinx", 4, 4)).toBe(false);
    expect(dspExpected("xilinx", 4, 5)).toBe(true);
    // ECP5: operands ≥ 2 bits, no product minimum.
    expect(dspExpected("ecp5", 2, 2)).toBe(true);
    // synth_gowin (0.23) has no DSP step.
    expect(dspExpected("gowin", 18, 18)).toBe(false);
  });
});

// A hand-made netlist: top → 2 × mid, mid → 3 × leaf (two parameterisations of one RAM module).
function handNetlist(): NetlistSummary {
  return {
    top: "x_chip",
    modules: {
      x_chip: { name: "x_chip", base: "x_chip", params: {}, cells: { "$paramod$aa\\x_mid": 2, SB_LUT4: 1 } },
      "$paramod$aa\\x_mid": { name: "$paramod$aa\\x_mid", base: "x_mid", params: {}, cells: { "$paramod$bb\\x_dpram": 3, "$paramod$cc\\x_dpram": 1, SB_DFF: 2 } },
      "$paramod$bb\\x_dpram": {
        name: "$paramod$bb\\x_dpram",
        base: "x_dpram",
        params: { WIDTH: 16, DEPTH: 512 },
        cells: { SB_RAM40_4K: 2, SB_DFF: 40, SB_LUT4: 30 },
      },
      "$paramod$cc\\x_dpram": {
        name: "$paramod$cc\\x_dpram",
        base: "x_dpram",
        params: { WIDTH: 16, DEPTH: 64 },
        cells: { SB_DFFE: 1024, SB_DFF: 16, SB_LUT4: 700 },
      },
      "$paramod$dd\\x_unused": { name: "$paramod$dd\\x_unused", base: "x_unused", params: {}, cells: { SB_LUT4: 99 } },
    },
  };
}

describe("netlist summary and hierarchy", () => {
  it("base names of Yosys's parameterised modules", () => {
    expect(baseName("$paramod$1dd198fb945228b45323916c7d9aa1b4df526ee6\\fpga_ice40_dpram_be")).toBe("fpga_ice40_dpram_be");
    expect(baseName("$paramod\\x_dpram\\WIDTH=s32'00000000000000000000000000010000")).toBe("x_dpram");
    expect(baseName("x_chip")).toBe("x_chip");
  });

  it("summarises a Yosys JSON netlist: cell counts, binary parameters as numbers, blackboxes left out", () => {
    const text = JSON.stringify({
      creator: "Yosys",
      modules: {
        top: { attributes: { top: "00000000000000000000000000000001" }, cells: { a: { type: "SB_LUT4" }, b: { type: "SB_LUT4" }, c: { type: "$paramod$x\\m" } } },
        "$paramod$x\\m": { parameter_default_values: { WIDTH: "00000000000000000000000000100001", MODE: "SIMPLE" }, cells: { d: { type: "SB_DFF" } } },
        SB_LUT4: { attributes: { blackbox: "00000000000000000000000000000001" }, cells: {} },
      },
    });
    const s = summariseNetlist(text, "top");
    expect(Object.keys(s.modules).sort()).toEqual(["$paramod$x\\m", "top"]);
    expect(s.modules["top"]?.cells).toEqual({ SB_LUT4: 2, "$paramod$x\\m": 1 });
    expect(s.modules["$paramod$x\\m"]?.params).toEqual({ WIDTH: 33, MODE: "SIMPLE" });
    expect(() => summariseNetlist(text, "nope")).toThrow(/top module nope is missing/);
  });

  it("instances multiply down the hierarchy; per-module rows add up to the total; unused modules are left out", () => {
    const s = handNetlist();
    const counts = instanceCounts(s);
    expect(counts.get("$paramod$bb\\x_dpram")).toBe(6);
    expect(counts.get("$paramod$cc\\x_dpram")).toBe(2);
    expect(counts.get("$paramod$dd\\x_unused")).toBeUndefined();
    const d = designResources("ice40", s);
    // By hand: LUTs 1 + 6 × 30 + 2 × 700 = 1581; FFs 2 × 2 + 6 × 40 + 2 × (1024 + 16) = 2324; BRAM 6 × 2 = 12.
    expect(d.total).toMatchObject({ lut: 1581, ff: 2324, bram: 12, dsp: 0 });
    expect(d.perModule["x_dpram"]).toMatchObject({ instances: 8, lut: 1580, bram: 12 });
    expect(Object.keys(d.perModule)).toEqual(["x_chip", "x_mid", "x_dpram"]);
    const sum = Object.values(d.perModule).reduce((a, m) => a + m.ff, 0);
    expect(sum).toBe(d.total.ff);
  });
});

describe("checks on hand-made netlists", () => {
  it("a dpram in block RAM with its port registers passes; one left in flip-flops fails", () => {
    const s = handNetlist();
    const ok = bramCheck("ice40", s, s.modules["$paramod$bb\\x_dpram"]!);
    expect(ok.status).toBe("pass");
    const bad = bramCheck("ice40", s, s.modules["$paramod$cc\\x_dpram"]!);
    expect(bad.status).toBe("fail");
    // Bound by hand: 2 × 16 + 2 × 6 + 8 = 52 flip-flops for a 16 × 64 RAM.
    expect(bad.detail).toMatch(/1040 flip-flops, more than the port registers' 52/);
    const all = synthChecks("ice40", s, "x");
    expect(all.filter((c) => c.check === "bram").map((c) => c.status).sort()).toEqual(["fail", "pass"]);
  });

  it("LUT RAM passes for a small memory and fails where a block RAM fits (half an 18 Kbit block or more)", () => {
    const mk = (depth: number, cells: Record<string, number>): NetlistSummary => ({
      top: "y_dpram",
      modules: { y_dpram: { name: "y_dpram", base: "y_dpram", params: { WIDTH: 16, DEPTH: depth }, cells } },
    });
    const small = mk(64, { RAM64M: 6, FDRE: 16 }); // 1024 bits
    expect(bramCheck("xilinx", small, small.modules["y_dpram"]!).status).toBe("pass");
    const big = mk(1024, { RAM64M: 96, FDRE: 16 }); // 16384 bits ≥ 9216
    const c = bramCheck("xilinx", big, big.modules["y_dpram"]!);
    expect(c.status).toBe("fail");
    expect(c.detail).toMatch(/no RAMB18E1\/RAMB36E1 for 16384 bits/);
    const unmapped = mk(64, { $mem_v2: 1 });
    expect(bramCheck("ecp5", unmapped, unmapped.modules["y_dpram"]!).detail).toMatch(/unmapped/);
  });

  it("MAC arrays: DSPs expected above the threshold, LUTs reported (not failed) below it", () => {
    const mk = (wb: number, ab: number, cells: Record<string, number>): NetlistSummary => ({
      top: "z_mac_array",
      modules: { z_mac_array: { name: "z_mac_array", base: "z_mac_array", params: { LANES: 4, WEIGHT_BITS: wb, ACT_BITS: ab }, cells } },
    });
    const wide = mk(8, 8, { SB_MAC16: 4, SB_LUT4: 100 });
    expect(dspCheck("ice40", wide, wide.modules["z_mac_array"]!).status).toBe("pass");
    const wideInLuts = mk(8, 8, { SB_LUT4: 900 });
    expect(dspCheck("ice40", wideInLuts, wideInLuts.modules["z_mac_array"]!).status).toBe("fail");
    const narrow = mk(4, 4, { SB_LUT4: 300 });
    const n = dspCheck("ice40", narrow, narrow.modules["z_mac_array"]!);
    expect(n.status).toBe("info");
    expect(n.detail).toMatch(/8-bit product\) is below/);
    expect(dspCheck("gowin", mk(8, 8, { LUT4: 900 }), mk(8, 8, {}).modules["z_mac_array"]!).status).toBe("info");
  });
});

describe("nextpnr output and baselines", () => {
  it("parses nextpnr's --report JSON and its Max frequency lines", () => {
    const report = JSON.stringify({
      fmax: { clk: { achieved: 31.25, constraint: 24 } },
      utilization: { ICESTORM_LC: { available: 5280, used: 1234 }, ICESTORM_RAM: { available: 30, used: 3 } },
    });
    expect(parseNextpnrReport(report)).toEqual({
      clocks: { clk: { achieved: 31.25, constraint: 24 } },
      utilisation: { ICESTORM_LC: { used: 1234, available: 5280 }, ICESTORM_RAM: { used: 3, available: 30 } },
    });
    const log = "Info: Max frequency for clock 'clk': 20.00 MHz (FAIL at 24.00 MHz)\nInfo: Max frequency for clock 'clk': 27.51 MHz (PASS at 24.00 MHz)\n";
    expect(parseMaxFrequency(log)).toEqual({ clk: 27.51 });
  });

  it("baseline comparison: ±10 % on LUTs and FFs, exact block RAMs and DSPs, a changed spec has none", () => {
    const b: Baseline = { spec_sha256: "h", yosys: "Yosys 0.23", lut: 1000, ff: 500, bram: 10, dsp: 4, carry: 0 };
    const r = { lut: 1100, ff: 450, bram: 10, dsp: 4, carry: 0, lutram: 0, unmapped: 0 };
    expect(compareWithBaseline("k", r, "h", b).status).toBe("pass");
    expect(compareWithBaseline("k", { ...r, lut: 1101 }, "h", b).status).toBe("fail");
    expect(compareWithBaseline("k", { ...r, ff: 449 }, "h", b).status).toBe("fail");
    expect(compareWithBaseline("k", { ...r, bram: 11 }, "h", b).detail).toMatch(/block RAMs 11, baseline 10/);
    expect(compareWithBaseline("k", { ...r, dsp: 3 }, "h", b).status).toBe("fail");
    expect(compareWithBaseline("k", r, "other", b).status).toBe("none");
    expect(compareWithBaseline("k", r, "h", undefined).status).toBe("none");
  });
});

describe.skipIf(!HAVE_YOSYS)("Yosys on the generated chip", () => {
  const loaded = loadSpec("specs/fpga-ice40.json", { rtl: true });
  const results = new Map<string, SynthResult>();
  const run = async (target: "ice40" | "ecp5" | "xilinx") => {
    const r = await synthSpec(loaded, { target, pnr: false, outDir: scratch() });
    results.set(target, r);
    return r;
  };

  for (const target of ["ice40", "ecp5", "xilinx"] as const) {
    it(`fpga-ice40 on ${target}: the dual-port RAMs in block RAM, the MACs in DSPs, resources within the baseline`, { timeout: 600_000 }, async () => {
      const r = await run(target);
      const bram = r.checks.filter((c) => c.check === "bram");
      // fpga-ice40: BMEM (dpram_be), the bank BRAM, DieRAM, CMEM and CRAM: 5 RAM shapes.
      expect(bram).toHaveLength(5);
      expect(bram.every((c) => c.status === "pass")).toBe(true);
      const dsp = r.checks.filter((c) => c.check === "dsp");
      expect(dsp).toHaveLength(1);
      // 8-bit (max of weight and KV bits) × 8-bit activation multipliers: every target with DSP inference maps them.
      expect(dsp[0]?.status).toBe("pass");
      expect(r.checks.find((c) => c.check === "mapped")?.status).toBe("pass");
      // By hand: two banks × 8192 bytes of BMEM = 131072 bits; iCE40 EBRs hold 4096 bits: 32 of them at least.
      if (target === "ice40") expect(r.resources.bram).toBeGreaterThanOrEqual(32);
      // Two banks × 4 lanes of multipliers at least.
      expect(r.resources.dsp).toBeGreaterThanOrEqual(8);
      const rows = Object.values(r.per_module);
      expect(rows.reduce((a, m) => a + m.lut, 0)).toBe(r.resources.lut);
      expect(r.baseline.status).toBe("pass");
      expect(r.fmax_mhz).toBeNull();
      expect(existsSync(r.result_file)).toBe(true);
    });
  }

  it("fpga-ice40 does not fit the UP5K: more block RAMs than its 30 and DSPs than its 8", async () => {
    const r = results.get("ice40") ?? (await run("ice40"));
    expect(r.fits).toBe(false);
    expect(r.overflow.map((o) => o.resource)).toEqual(expect.arrayContaining(["bram", "dsp"]));
    expect(r.fit_message).toMatch(/block RAMs: need \d+, the iCE40UP5K-SG48 has 30/);
  });

  // A RAM with an asynchronous read: no block RAM has one, so Yosys must build it from flip-flops
  // (iCE40 has no LUT RAM) or LUT RAM (Xilinx); the block-RAM check must say so.
  const asyncRam = (width: number, depth: number) => `module broken_dpram #(parameter WIDTH = ${width}, parameter DEPTH = ${depth}) (
  input wire clk, input wire we, input wire [$clog2(DEPTH)-1:0] waddr, input wire [WIDTH-1:0] wdata,
  input wire [$clog2(DEPTH)-1:0] raddr, output wire [WIDTH-1:0] rdata);
  reg [WIDTH-1:0] mem [0:DEPTH-1];
  always @(posedge clk) if (we) mem[waddr] <= wdata;
  assign rdata = mem[raddr];
endmodule
`;
  const brokenChecks = async (target: "ice40" | "xilinx", width: number, depth: number) => {
    const files = new Map([["rtl/broken_dpram.v", asyncRam(width, depth)]]);
    const run = await synthResources({ name: "broken", top: "broken_dpram", files, order: ["rtl/broken_dpram.v"] }, target);
    return synthChecks(target, run.summary, "broken").filter((c) => c.check === "bram");
  };

  it("a dpram with an asynchronous read fails the check on iCE40 (flip-flops)", { timeout: 300_000 }, async () => {
    const [c] = await brokenChecks("ice40", 16, 64);
    expect(c?.status).toBe("fail");
    expect(c?.detail).toMatch(/flip-flops, more than the port registers/);
  });

  it("a 16 Kbit dpram with an asynchronous read fails the check on Xilinx (LUT RAM where a block RAM fits)", { timeout: 300_000 }, async () => {
    const [c] = await brokenChecks("xilinx", 16, 1024);
    expect(c?.status).toBe("fail");
    expect(c?.detail).toMatch(/LUT-RAM cell\(s\) for 16384 bits|no RAMB18E1/);
  });
});

// The slow baselines (minutes each on a 2-core machine: tiny on every target, fpga-ice40 on Gowin),
// run with PIM_GEN_SYNTH_ALL=1.
describe.skipIf(!HAVE_YOSYS || !process.env["PIM_GEN_SYNTH_ALL"])("the slow baselines (PIM_GEN_SYNTH_ALL=1)", () => {
  const cases = [
    ["specs/tiny.json", "ice40"],
    ["specs/tiny.json", "ecp5"],
    ["specs/tiny.json", "xilinx"],
    ["specs/tiny.json", "gowin"],
    ["specs/fpga-ice40.json", "gowin"],
  ] as const;
  for (const [file, target] of cases) {
    it(`${file} on ${target}: checks pass, resources within the baseline`, { timeout: 1_800_000 }, async () => {
      const r = await synthSpec(loadSpec(file, { rtl: true }), { target, pnr: false, outDir: scratch() });
      expect(r.checks.filter((c) => c.status === "fail")).toEqual([]);
      expect(r.baseline.status).toBe("pass");
    });
  }
});

describe.skipIf(!HAVE_PNR)("place and route on the UP5K", () => {
  // The generated chips do not fit the UP5K (see the fit test above): the nextpnr and icepack
  // path is proven on a small design of its own, with pins of the iCEBreaker board.
  it("a counter with a block RAM: fmax > 0, utilisation against the UP5K, a non-empty bitstream", { timeout: 300_000 }, async () => {
    const top = `module pnr_top(input wire clk, output wire led);
  reg [23:0] c = 0;
  reg [7:0] mem [0:511];
  reg [7:0] q;
  always @(posedge clk) begin c <= c + 1; mem[c[8:0]] <= c[16:9]; q <= mem[c[17:9]]; end
  assign led = c[23] ^ q[0];
endmodule
`;
    const files = new Map([["rtl/pnr_top.v", top]]);
    const net = await synthIce40Netlist({ name: "pnrtest", top: "pnr_top", files, order: ["rtl/pnr_top.v"] });
    const r = await placeAndRouteIce40({ name: "pnrtest", netlistJson: net.json, pcf: "set_io clk 35\nset_io led 11\n", freqMhz: 12 });
    expect(r.fmaxMhz).not.toBeNull();
    expect(r.fmaxMhz ?? 0).toBeGreaterThan(0);
    expect(r.utilisation["ICESTORM_LC"]?.available).toBe(5280);
    expect(r.utilisation["ICESTORM_RAM"]).toEqual({ used: 1, available: 30 });
    expect(statSync(r.bin).size).toBeGreaterThan(0);
  });

  it("more multipliers than the UP5K's 8 DSPs: nextpnr's placement failure is a user error", { timeout: 300_000 }, async () => {
    const top = `module dsp_top(input wire clk, input wire [15:0] a, input wire [15:0] b, output wire y);
  reg [31:0] p [0:8];
  integer i;
  always @(posedge clk) for (i = 0; i < 9; i = i + 1) p[i] <= (a + i) * (b - i);
  assign y = ^{p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8]};
endmodule
`;
    const files = new Map([["rtl/dsp_top.v", top]]);
    const net = await synthIce40Netlist({ name: "dsptest", top: "dsp_top", files, order: ["rtl/dsp_top.v"] });
    const pcf = ["set_io clk 35", "set_io y 11", ...[...Array(16).keys()].flatMap((i) => [`set_io a[${i}] ${[2, 3, 4, 44, 45, 46, 47, 48, 12, 13, 18, 19, 20, 21, 23, 25][i]}`, `set_io b[${i}] ${[26, 27, 28, 31, 32, 34, 36, 38, 42, 43, 6, 9, 10, 37, 39, 40][i]}`])].join("\n");
    const err = await placeAndRouteIce40({ name: "dsptest", netlistJson: net.json, pcf: `${pcf}\n`, freqMhz: 12 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect(String(err)).toMatch(/cannot place the design on the UP5K[\s\S]*ICESTORM_DSP/);
  });
});

async function genRtl(args: string[], cwd: string, env?: Record<string, string>) {
  return execa(process.execPath, [BIN, ...args], { cwd, reject: false, ...(env ? { env, extendEnv: false } : {}) });
}

function expectCleanFailure(r: { exitCode?: number; stderr: string }, pattern: RegExp) {
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).not.toMatch(/internal error/);
}

describe("gen-rtl synth (CLI)", () => {
  const spec = join(process.cwd(), "specs", "fpga-ice40.json");

  it("an unknown target is a usage error", async () => {
    const r = await genRtl(["synth", spec, "--target", "stratix"], scratch());
    expectCleanFailure(r, /argument 'stratix' is invalid.*ice40, ecp5, xilinx, gowin/s);
  });

  it("--pnr with ecp5 says place and route is iCE40 only", async () => {
    const r = await genRtl(["synth", spec, "--target", "ecp5", "--pnr"], scratch());
    expectCleanFailure(r, /--pnr places and routes on the iCE40 UP5K only/);
  });

  it("a missing yosys names the tool and how to install it", async () => {
    const r = await genRtl(["synth", spec, "--target", "ice40"], scratch(), { PATH: scratch() });
    expectCleanFailure(r, /yosys not found on PATH; install it with `bash scripts\/setup.sh`.*apt-get install -y yosys/);
  });

  it.skipIf(!HAVE_YOSYS)("--pnr on a spec too big for the UP5K names the resource, the need and the capacity", { timeout: 600_000 }, async () => {
    const r = await genRtl(["synth", spec, "--target", "ice40", "--pnr"], scratch());
    expectCleanFailure(r, /does not fit the iCE40UP5K-SG48: .*block RAMs: need \d+, the iCE40UP5K-SG48 has 30/);
  });

  it.skipIf(!HAVE_YOSYS)("--json: target, device, resources, per-module rows, fmax null, fits; written to rtl-out/<name>/synth/", { timeout: 600_000 }, async () => {
    const cwd = scratch();
    const r = await genRtl(["synth", spec, "--target", "ice40", "--json"], cwd);
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout) as SynthResult;
    expect(out).toMatchObject({ target: "ice40", device: "iCE40UP5K-SG48", fmax_mhz: null, fits: false });
    expect(Object.keys(out.resources)).toEqual(expect.arrayContaining(["lut", "ff", "bram", "dsp"]));
    expect(out.per_module["fpga_ice40_mac_array"]?.instances).toBe(2);
    const file = join(cwd, "rtl-out", "fpga_ice40", "synth", "ice40.json");
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({ target: "ice40", fits: false });
    expect(r.stderr).toBe("");
  });

  it.skipIf(!HAVE_PNR)("fpga-up5k fits the UP5K: placed and routed at its 12 MHz clock, an fmax, a bitstream (gen-rtl synth --pnr --json)", { timeout: 900_000 }, async () => {
    const cwd = scratch();
    const up5k = join(process.cwd(), "specs", "fpga-up5k.json");
    const r = await genRtl(["synth", up5k, "--target", "ice40", "--pnr", "--json"], cwd);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout) as SynthResult;
    expect(out).toMatchObject({ target: "ice40", device: "iCE40UP5K-SG48", fits: true, overflow: [], clock_mhz: 12 });
    expect(out.resources.lut).toBeLessThanOrEqual(5280);
    expect(out.resources.bram).toBeLessThanOrEqual(30);
    expect(out.resources.dsp).toBeLessThanOrEqual(8);
    // By hand: 2 banks × 4096 bytes of BMEM = 65536 bits, 16 SB_RAM40_4K at least; 2 banks × 2 MAC lanes in DSPs.
    expect(out.resources.bram).toBeGreaterThanOrEqual(16);
    expect(out.resources.dsp).toBeGreaterThanOrEqual(4);
    // The controller builds only the units of add, mul, sum and max.
    expect(Object.keys(out.per_module).filter((m) => m.includes("_ctrl_")).sort()).toEqual(["fpga_up5k_ctrl_ew", "fpga_up5k_ctrl_reduce", "fpga_up5k_ctrl_valu"]);
    expect(out.checks.every((c) => c.status === "pass")).toBe(true);
    expect(out.fmax_mhz).toBeGreaterThanOrEqual(12);
    expect(out.pnr?.timing_met).toBe(true);
    expect(out.pnr?.utilisation["ICESTORM_LC"]?.used).toBeLessThanOrEqual(5280);
    // A UP5K bitstream: 104090 bytes (the device's whole configuration image).
    expect(statSync(join(cwd, out.pnr!.bitstream)).size).toBe(104090);
  });

  it.skipIf(!HAVE_YOSYS)("yosys reports its version (part of the cache key)", async () => {
    expect(await toolVersion(YOSYS)).toMatch(/^Yosys \d+\.\d+/);
  });
});
