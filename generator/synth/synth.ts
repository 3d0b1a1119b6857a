// gen-rtl synth: the generated chip through Yosys for one FPGA family — resources per module and in
// total, the checks (checks.ts), the fit on the target's device (devices.ts), the baseline
// (baselines.ts) — and with --pnr (iCE40 only) the board top through nextpnr-ice40 and icepack:
// the maximum frequency and a bitstream. Writes rtl-out/<name>/synth/<target>.json (the --json
// result), and with --pnr the bitstream and nextpnr's report and log in synth/pnr/.
import { copyFileSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../errors.js";
import { boardFiles, ice40Pcf } from "../fpga/board.js";
import { rtlFiles } from "../rtl/index.js";
import type { LoadedSpec } from "../spec/load.js";
import { baselineKey, compareWithBaseline, readBaselines, specHash, writeBaseline, type BaselineComparison } from "./baselines.js";
import type { Resources } from "./cells.js";
import { checksPassed, synthChecks, type SynthCheck } from "./checks.js";
import { DEVICES, overflowMessage, overflows, type Device, type Overflow } from "./devices.js";
import { placeAndRouteIce40, type Utilisation } from "./nextpnr.js";
import { designResources, type ModuleResources } from "./resources.js";
import type { Target } from "./targets.js";
import { toolVersion, YOSYS } from "./tools.js";
import { synthIce40Netlist, synthResources, type YosysSources } from "./yosys.js";

export interface SynthOptions {
  target: Target;
  pnr: boolean;
  /** Where synth/ goes: rtl-out/<name> by default. */
  outDir: string;
  /** Rewrite this spec's and target's entry of generator/synth/baselines.json with this run. */
  updateBaselines?: boolean;
  /** Progress messages (stderr). */
  progress?: (message: string) => void;
}

export interface PnrSummary {
  top: string;
  /** nextpnr's utilisation by bel type. */
  utilisation: Record<string, Utilisation>;
  clocks: Record<string, { achieved: number; constraint: number }>;
  /** fmax ≥ clock_mhz. */
  timing_met: boolean;
  /** The bitstream, the report and the log, under rtl-out/<name>/synth/pnr/. */
  bitstream: string;
  report: string;
  log: string;
  cached: boolean;
}

export interface SynthResult {
  spec: string;
  target: Target;
  device: string;
  capacity: Pick<Device, "lut" | "ff" | "bram" | "dsp">;
  top: string;
  yosys: string;
  resources: Resources;
  per_module: Record<string, ModuleResources>;
  fits: boolean;
  /** The resources beyond the device, each with its need and capacity. */
  overflow: Overflow[];
  fit_message: string | null;
  checks: SynthCheck[];
  baseline: BaselineComparison;
  clock_mhz: number;
  /** nextpnr's maximum frequency (MHz); null without --pnr. */
  fmax_mhz: number | null;
  pnr: PnrSummary | null;
  cached: boolean;
  /** Where this result was written. */
  result_file: string;
}

/** The chip's Verilog as Yosys reads it: rtl/*.v in the order of <name>.f, top <name>_chip. */
export function chipSources(loaded: LoadedSpec): YosysSources {
  const files = rtlFiles(loaded);
  const name = loaded.spec.name;
  const list = files.get(`${name}.f`) ?? "";
  files.delete(`${name}.f`);
  return { name, top: `${name}_chip`, files, order: list.split("\n").filter((l) => l.length > 0) };
}

/** True when every check passed and the baseline (if any) holds. */
export function synthPassed(r: SynthResult): boolean {
  return checksPassed(r.checks) && r.baseline.status !== "fail" && (r.pnr === null || r.pnr.timing_met);
}

export async function synthSpec(loaded: LoadedSpec, opts: SynthOptions): Promise<SynthResult> {
  const { target } = opts;
  const progress = opts.progress ?? (() => undefined);
  if (opts.pnr && target !== "ice40") {
    throw new UserError(`--pnr places and routes on the iCE40 UP5K only (nextpnr-ice40); --target ${target} gives resources without it`);
  }
  const name = loaded.spec.name;
  const device = DEVICES[target];
  const sources = chipSources(loaded);
  const yosys = await toolVersion(YOSYS);
  progress(`synthesising ${sources.top} for ${target} (Yosys; cached runs are instant)`);
  const run = await synthResources(sources, target);
  const { total, perModule } = designResources(target, run.summary);
  const over = overflows(total, device);
  const fitMessage = over.length > 0 ? `does not fit the ${device.name}: ${overflowMessage(over, device)}` : null;
  const checks = synthChecks(target, run.summary, name);
  const key = baselineKey(name, target);
  const hash = specHash(loaded.spec);
  if (opts.updateBaselines) {
    writeBaseline(key, { spec_sha256: hash, yosys, lut: total.lut, ff: total.ff, bram: total.bram, dsp: total.dsp, carry: total.carry });
    progress(`baseline ${key} written`);
  }
  const baseline = compareWithBaseline(key, total, hash, readBaselines().entries[key]);

  const synthDir = join(opts.outDir, "synth");
  let pnr: PnrSummary | null = null;
  let fmax: number | null = null;
  if (opts.pnr) {
    if (fitMessage !== null) {
      throw new UserError(`${name} on ${target}: the chip ${fitMessage}; nothing to place (gen-rtl synth without --pnr reports the resources per module)`);
    }
    const board = boardFiles(loaded);
    const files = new Map(sources.files);
    for (const [p, t] of board.files) files.set(p, t);
    const boardSources: YosysSources = { name, top: board.ice40Top, files, order: board.fileList };
    progress(`synthesising ${board.ice40Top} for nextpnr-ice40`);
    const net = await synthIce40Netlist(boardSources);
    progress(`placing and routing ${board.ice40Top} on the ${device.name} at ${loaded.spec.clock_mhz} MHz (nextpnr-ice40)`);
    const placed = await placeAndRouteIce40({ name, netlistJson: net.json, pcf: ice40Pcf(loaded), freqMhz: loaded.spec.clock_mhz });
    // In synth/pnr/, not beside <target>.json: `gen-rtl report` reads every synth/*.json as a result.
    const pnrDir = join(synthDir, "pnr");
    mkdirSync(pnrDir, { recursive: true });
    const bitstream = join(pnrDir, `${board.ice40Top}.bin`);
    const report = join(pnrDir, "nextpnr-report.json");
    const log = join(pnrDir, "nextpnr.log");
    const copy = (from: string, to: string) => {
      copyFileSync(from, `${to}.tmp`);
      renameSync(`${to}.tmp`, to);
    };
    copy(placed.bin, bitstream);
    copy(join(placed.dir, "report.json"), report);
    copy(join(placed.dir, "nextpnr.log"), log);
    pnr = {
      top: board.ice40Top,
      utilisation: placed.utilisation,
      clocks: placed.clocks,
      timing_met: placed.fmaxMhz !== null && placed.fmaxMhz >= loaded.spec.clock_mhz,
      bitstream,
      report,
      log,
      cached: placed.cached,
    };
    fmax = placed.fmaxMhz;
  }

  const resultFile = join(synthDir, `${target}.json`);
  const result: SynthResult = {
    spec: name,
    target,
    device: device.name,
    capacity: { lut: device.lut, ff: device.ff, bram: device.bram, dsp: device.dsp },
    top: sources.top,
    yosys,
    resources: total,
    per_module: perModule,
    fits: over.length === 0,
    overflow: over,
    fit_message: fitMessage,
    checks,
    baseline,
    clock_mhz: loaded.spec.clock_mhz,
    fmax_mhz: fmax,
    pnr,
    cached: run.cached,
    result_file: resultFile,
  };
  mkdirSync(synthDir, { recursive: true });
  writeFileSync(`${resultFile}.tmp`, `${JSON.stringify(result, null, 2)}\n`);
  renameSync(`${resultFile}.tmp`, resultFile);
  return result;
}
