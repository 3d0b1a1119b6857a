// gen-rtl synth's terminal report and its --json object.
import { textTable } from "../report/format.js";
import type { SynthResult } from "./synth.js";

function n(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(1);
}

export function synthText(r: SynthResult): string {
  const rows = Object.entries(r.per_module).map(([m, v]) => [m, String(v.instances), n(v.lut), n(v.ff), n(v.bram), n(v.dsp), n(v.carry), n(v.lutram)]);
  const t = r.resources;
  rows.push(["total", "", n(t.lut), n(t.ff), n(t.bram), n(t.dsp), n(t.carry), n(t.lutram)]);
  rows.push([`${r.device} capacity`, "", n(r.capacity.lut), n(r.capacity.ff), n(r.capacity.bram), n(r.capacity.dsp), "", ""]);
  const checks = r.checks.map((c) => `  ${c.status === "fail" ? "FAIL" : c.status}  ${c.check.padEnd(6)} ${c.module}: ${c.detail}`);
  const b = r.baseline;
  checks.push(`  ${b.status === "fail" ? "FAIL" : b.status === "none" ? "info" : "pass"}  ${"base".padEnd(6)} ${b.key}: ${b.detail}`);
  const lines = [
    `gen-rtl synth: ${r.spec} (top ${r.top}) for ${r.target}, device ${r.device}; ${r.yosys}${r.cached ? " (cached run)" : ""}`,
    "",
    textTable(["module", "instances", "LUT", "FF", "BRAM", "DSP", "carry", "LUT RAM"], rows, [1, 2, 3, 4, 5, 6, 7]),
    "",
    r.fits ? `fits the ${r.device}: yes` : `fits: NO — ${r.fit_message ?? ""}`,
    "",
    "checks:",
    ...checks,
    "",
  ];
  if (r.pnr) {
    const u = r.pnr.utilisation;
    const used = (bel: string) => (u[bel] ? `${u[bel].used}/${u[bel].available}` : "?");
    lines.push(
      `place and route (nextpnr-ice40, ${r.pnr.top}${r.pnr.cached ? ", cached" : ""}): logic cells ${used("ICESTORM_LC")}, block RAM ${used("ICESTORM_RAM")}, DSP ${used("ICESTORM_DSP")}`,
      `fmax ${r.fmax_mhz === null ? "not reported" : `${r.fmax_mhz.toFixed(2)} MHz`} (clock_mhz ${r.clock_mhz}: ${r.pnr.timing_met ? "met" : "NOT met"})`,
      `bitstream ${r.pnr.bitstream}`,
    );
  } else {
    lines.push(`fmax: — (place and route with --pnr, iCE40 only)`);
  }
  lines.push(`result: ${r.result_file}`);
  return `${lines.join("\n")}\n`;
}

