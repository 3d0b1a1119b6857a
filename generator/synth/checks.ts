// What gen-rtl synth checks in a synthesised chip, beside the fit:
//
// bram  Every variant of the dual-port RAMs (<name>_dpram, <name>_dpram_be) maps to block RAM and
//       leaves no memory in flip-flops: no Yosys memory cell ($mem…) left unmapped; flip-flops
//       within the port registers' bound 2·WIDTH + 2·ADDR_BITS + 8 (the registered read data, and
//       the copy of the write data and addresses Yosys adds to give a block RAM the RAM's
//       read-first collision behaviour; a memory left in flip-flops has WIDTH × DEPTH of them); and
//       a memory of at least half a block RAM in block RAM, not in LUT RAM. Below half a block RAM,
//       LUT RAM (ECP5, Xilinx, Gowin) is Yosys's own cost choice and passes.
// dsp   Every variant of <name>_mac_array maps its multipliers to DSP blocks — LANES of them at
//       least — when Yosys 0.23 maps a multiplier of that width to a DSP on the target (targets.ts:
//       iCE40 needs a product of 11 bits or more, Xilinx 9, ECP5 any; synth_gowin maps none). A
//       narrower multiplier (e.g. 4-bit weights × 4-bit activations on iCE40) legitimately becomes
//       LUTs: the check then says so ("info") instead of failing.
// mapped  No Yosys internal cell ($…) is left anywhere in the design.
import { resourcesOf } from "./cells.js";
import type { ModuleSummary, NetlistSummary } from "./netlist.js";
import { instanceCounts, ownCells } from "./resources.js";
import { dspExpected, TARGET_INFO, type Target } from "./targets.js";

export type CheckStatus = "pass" | "fail" | "info";

export interface SynthCheck {
  check: "bram" | "dsp" | "mapped";
  /** The module and its parameters, e.g. "fpga_ice40_dpram WIDTH=32 DEPTH=128". */
  module: string;
  status: CheckStatus;
  detail: string;
}

function num(m: ModuleSummary, p: string): number | undefined {
  const v = m.params[p];
  return typeof v === "number" ? v : undefined;
}

function label(m: ModuleSummary, params: string[]): string {
  return [m.base, ...params.map((p) => `${p}=${String(m.params[p] ?? "?")}`)].join(" ");
}

/** The instantiated modules (Yosys names) whose Verilog module is `base`. */
function variants(summary: NetlistSummary, base: string): ModuleSummary[] {
  const counts = instanceCounts(summary);
  return [...counts]
    .filter(([name, k]) => k > 0 && summary.modules[name]?.base === base)
    .map(([name]) => summary.modules[name])
    .filter((m): m is ModuleSummary => m !== undefined);
}

export function bramCheck(target: Target, summary: NetlistSummary, m: ModuleSummary): SynthCheck {
  const info = TARGET_INFO[target];
  const paramNames = m.params["FIELD"] !== undefined ? ["WIDTH", "FIELD", "DEPTH"] : ["WIDTH", "DEPTH"];
  const module = label(m, paramNames);
  const width = num(m, "WIDTH");
  const depth = num(m, "DEPTH");
  if (width === undefined || depth === undefined) {
    return { check: "bram", module, status: "fail", detail: "no WIDTH/DEPTH parameters in the netlist: cannot tell what the RAM holds" };
  }
  const r = resourcesOf(target, ownCells(summary, m));
  const bits = width * depth;
  const addrBits = Math.max(1, Math.ceil(Math.log2(depth)));
  const ffBound = 2 * width + 2 * addrBits + 8;
  const needsBlock = bits * 2 >= info.bramBits;
  const problems: string[] = [];
  if (r.unmapped > 0) problems.push(`${r.unmapped} Yosys cell(s) left unmapped (a $mem not turned into RAM)`);
  if (r.ff > ffBound) problems.push(`${r.ff} flip-flops, more than the port registers' ${ffBound}: memory bits left in flip-flops`);
  if (needsBlock && r.bram === 0) problems.push(`no ${info.bramName} for ${bits} bits (half a block RAM is ${info.bramBits / 2})`);
  if (needsBlock && r.lutram > 0) problems.push(`${r.lutram} LUT-RAM cell(s) for ${bits} bits, where a block RAM fits`);
  const where = [
    r.bram > 0 ? `${r.bram} ${info.bramName}` : "",
    r.lutram > 0 ? `${r.lutram} LUT-RAM cell(s)${needsBlock ? "" : " (below half a block RAM: Yosys's choice)"}` : "",
    `${r.ff} FF (bound ${ffBound})`,
  ].filter((s) => s.length > 0);
  return {
    check: "bram",
    module,
    status: problems.length > 0 ? "fail" : "pass",
    detail: problems.length > 0 ? problems.join("; ") : `${bits} bits in ${where.join(", ")}`,
  };
}

export function dspCheck(target: Target, summary: NetlistSummary, m: ModuleSummary): SynthCheck {
  const info = TARGET_INFO[target];
  const module = label(m, ["LANES", "WEIGHT_BITS", "ACT_BITS"]);
  const lanes = num(m, "LANES");
  const wb = num(m, "WEIGHT_BITS");
  const ab = num(m, "ACT_BITS");
  if (lanes === undefined || wb === undefined || ab === undefined) {
    return { check: "dsp", module, status: "fail", detail: "no LANES/WEIGHT_BITS/ACT_BITS parameters in the netlist" };
  }
  const r = resourcesOf(target, ownCells(summary, m));
  const mult = `${wb}×${ab}-bit`;
  if (dspExpected(target, wb, ab)) {
    return r.dsp >= lanes
      ? { check: "dsp", module, status: "pass", detail: `${lanes} ${mult} multipliers in ${r.dsp} ${info.dspName}` }
      : { check: "dsp", module, status: "fail", detail: `${lanes} ${mult} multipliers but ${r.dsp} ${info.dspName}: multipliers left in LUTs` };
  }
  const why =
    info.dsp === null
      ? `Yosys 0.23's synth_${target} maps no multiplier to DSP blocks`
      : `a ${mult} multiplier (${wb + ab}-bit product) is below Yosys's ${target} DSP threshold (operands ≥ ${info.dsp.minA} bits, product ≥ ${info.dsp.minY} bits)`;
  return { check: "dsp", module, status: "info", detail: `${lanes} ${mult} multipliers in LUTs (${r.lut} LUTs, ${r.dsp} DSP): ${why}` };
}

export function mappedCheck(summary: NetlistSummary): SynthCheck {
  const left = new Map<string, number>();
  for (const [name, k] of instanceCounts(summary)) {
    const m = summary.modules[name];
    if (!m || k === 0) continue;
    for (const [type, n] of Object.entries(ownCells(summary, m))) if (type.startsWith("$")) left.set(type, (left.get(type) ?? 0) + n * k);
  }
  return left.size === 0
    ? { check: "mapped", module: summary.top, status: "pass", detail: "every cell is a technology cell" }
    : { check: "mapped", module: summary.top, status: "fail", detail: `Yosys cells left: ${[...left].map(([t, n]) => `${t} ×${n}`).join(", ")}` };
}

/** Every check of a chip named `name` (the spec's name: the modules are <name>_dpram, …). */
export function synthChecks(target: Target, summary: NetlistSummary, name: string): SynthCheck[] {
  return [
    ...variants(summary, `${name}_dpram`).map((m) => bramCheck(target, summary, m)),
    ...variants(summary, `${name}_dpram_be`).map((m) => bramCheck(target, summary, m)),
    ...variants(summary, `${name}_mac_array`).map((m) => dspCheck(target, summary, m)),
    mappedCheck(summary),
  ];
}

export function checksPassed(checks: readonly SynthCheck[]): boolean {
  return checks.every((c) => c.status !== "fail");
}
