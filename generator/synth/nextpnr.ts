// Place and route on the iCE40 UP5K (nextpnr-ice40) and the bitstream (icepack), cached by content
// like the synthesis runs: .cache/synth/<name>-ice40-place-<hash>/ holds the pcf, nextpnr's log
// and --report JSON, the .asc and the .bin. The hash covers the netlist, the pcf, the frequency
// and both tools' versions.
//
// nextpnr runs with --timing-allow-fail: a design slower than clock_mhz is still placed and
// routed, and the maximum frequency is reported (and compared with clock_mhz by the caller).
import { execa } from "execa";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../errors.js";
import { failureTail, ICEPACK, isMissingTool, missingToolMessage, NEXTPNR_ICE40, toolVersion, type Tool } from "./tools.js";
import { synthCacheRoot } from "./yosys.js";

export interface PnrInput {
  /** Identifier for the cache folder (the spec's name). */
  name: string;
  /** nextpnr's input: a flattened Yosys JSON netlist. */
  netlistJson: string;
  pcf: string;
  freqMhz: number;
}

export interface Utilisation {
  used: number;
  available: number;
}

export interface PnrResult {
  /** The lowest fmax nextpnr reports over the design's clocks (MHz): the slowest clock limits; null when it reports none. */
  fmaxMhz: number | null;
  /** Per clock: achieved and constrained MHz. */
  clocks: Record<string, { achieved: number; constraint: number }>;
  /** nextpnr's utilisation by bel type (ICESTORM_LC, ICESTORM_RAM, ICESTORM_DSP, …). */
  utilisation: Record<string, Utilisation>;
  /** The cache entry: design.pcf, nextpnr.log, report.json, design.asc, design.bin. */
  dir: string;
  bin: string;
  cached: boolean;
}

const NEXTPNR_FORMAT = 1;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** fmax and utilisation from nextpnr's --report JSON. */
export function parseNextpnrReport(text: string): Pick<PnrResult, "clocks" | "utilisation"> {
  const parsed: unknown = JSON.parse(text);
  const clocks: PnrResult["clocks"] = {};
  const utilisation: PnrResult["utilisation"] = {};
  if (!isRecord(parsed)) return { clocks, utilisation };
  const fmax = parsed["fmax"];
  if (isRecord(fmax)) {
    for (const [clk, v] of Object.entries(fmax)) {
      if (isRecord(v) && typeof v["achieved"] === "number") {
        clocks[clk] = { achieved: v["achieved"], constraint: typeof v["constraint"] === "number" ? v["constraint"] : 0 };
      }
    }
  }
  const util = parsed["utilization"];
  if (isRecord(util)) {
    for (const [bel, v] of Object.entries(util)) {
      if (isRecord(v) && typeof v["used"] === "number" && typeof v["available"] === "number") utilisation[bel] = { used: v["used"], available: v["available"] };
    }
  }
  return { clocks, utilisation };
}

/** "Info: Max frequency for clock 'clk': 79.76 MHz (PASS at 24.00 MHz)" lines → clock → MHz (the last of each clock wins). */
export function parseMaxFrequency(log: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of log.matchAll(/Max frequency for clock\s+'([^']+)':\s+([0-9.]+)\s+MHz/g)) {
    const clk = m[1];
    const mhz = Number(m[2]);
    if (clk !== undefined && Number.isFinite(mhz)) out[clk] = mhz;
  }
  return out;
}

async function run(tool: Tool, args: string[], cwd: string): Promise<string> {
  try {
    const r = await execa(tool.command, args, { cwd, all: true, maxBuffer: 256 * 1024 * 1024 });
    return r.all ?? "";
  } catch (e) {
    if (isMissingTool(e)) throw new UserError(missingToolMessage(tool));
    const tail = failureTail(e);
    // Out of bels: the design is too big for the UP5K (the fit check before placing counts the
    // hierarchical synthesis; this is the placer's word on the flattened one). The user's to fix.
    if (tool === NEXTPNR_ICE40 && /no BELs remaining|Unable to place/.test(tail)) {
      throw new UserError(`nextpnr-ice40 cannot place the design on the UP5K:\n${tail}`);
    }
    throw new Error(`${tool.command} failed:\n${tail}`);
  }
}

/** Place and route the netlist on the UP5K (SG48), then pack the bitstream. */
export async function placeAndRouteIce40(input: PnrInput): Promise<PnrResult> {
  const [pnrVersion, packVersion] = await Promise.all([toolVersion(NEXTPNR_ICE40), toolVersion(ICEPACK)]);
  const netlist = readFileSync(input.netlistJson);
  const h = createHash("sha256");
  h.update(JSON.stringify({ format: NEXTPNR_FORMAT, pnrVersion, packVersion, pcf: input.pcf, freq: input.freqMhz }));
  h.update(netlist);
  const key = `${input.name}-ice40-place-${h.digest("hex").slice(0, 24)}`;
  const root = synthCacheRoot();
  const dir = join(root, key);
  const finish = (cached: boolean): PnrResult => {
    const report = parseNextpnrReport(readFileSync(join(dir, "report.json"), "utf8"));
    if (Object.keys(report.clocks).length === 0) {
      const fromLog = parseMaxFrequency(readFileSync(join(dir, "nextpnr.log"), "utf8"));
      for (const [clk, mhz] of Object.entries(fromLog)) report.clocks[clk] = { achieved: mhz, constraint: input.freqMhz };
    }
    const achieved = Object.values(report.clocks).map((c) => c.achieved);
    return { ...report, fmaxMhz: achieved.length > 0 ? Math.min(...achieved) : null, dir, bin: join(dir, "design.bin"), cached };
  };
  if (existsSync(join(dir, "design.bin"))) return finish(true);
  mkdirSync(root, { recursive: true });
  const tmp = mkdtempSync(join(root, `.tmp-${key}-`));
  try {
    writeFileSync(join(tmp, "design.pcf"), input.pcf);
    writeFileSync(join(tmp, "design.json"), netlist);
    const log = await run(
      NEXTPNR_ICE40,
      [
        "--up5k",
        "--package",
        "sg48",
        "--freq",
        String(input.freqMhz),
        "--pcf",
        "design.pcf",
        "--json",
        "design.json",
        "--asc",
        "design.asc",
        "--report",
        "report.json",
        "--timing-allow-fail",
        "--seed",
        "1",
      ],
      tmp,
    );
    writeFileSync(join(tmp, "nextpnr.log"), log);
    await run(ICEPACK, ["design.asc", "design.bin"], tmp);
    if (!existsSync(join(tmp, "design.bin")) || statSync(join(tmp, "design.bin")).size === 0) throw new Error("icepack wrote no bitstream");
    rmSync(join(tmp, "design.json"));
    try {
      renameSync(tmp, dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code === "ENOTEMPTY" || code === "EEXIST") && existsSync(join(dir, "design.bin"))) {
        rmSync(tmp, { recursive: true, force: true });
        return finish(true);
      }
      throw e;
    }
    return finish(false);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
