// Running Yosys on a set of Verilog files, cached by content like the Verilator builds
// (sim/harness/verilator.ts): a run lives in .cache/synth/<name>-<target>-<hash>/, the hash covering
// the sources, the script, the Yosys version and the target. A run works in a temporary sibling
// folder that is renamed into place only when it succeeded, so a killed or failed run never
// leaves a half cache entry.
//
// Two kinds of run:
//   resources  synth_<target> with the hierarchy kept, `json -o netlist.json`; the cache keeps the
//              sources, the script, Yosys's log and the netlist's summary (netlist.ts), not the netlist
//   netlist    synth_ice40 -dsp (flattened, for nextpnr) writing `-json design.json`, kept whole
import { execa, ExecaError } from "execa";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { UserError } from "../errors.js";
import { packageRoot } from "../paths.js";
import { summariseNetlist, type NetlistSummary } from "./netlist.js";
import { TARGET_INFO, type Target } from "./targets.js";
import { failureTail, isMissingTool, missingToolMessage, toolVersion, YOSYS } from "./tools.js";

/** Bumped when what a cache entry holds changes. */
const CACHE_FORMAT = 1;
const SAFE_PATH = /^[A-Za-z0-9_][A-Za-z0-9_./-]*$/;

export interface YosysSources {
  /** Identifier of the design (the spec's name), for the cache folder. */
  name: string;
  /** Top module. */
  top: string;
  /** Path (relative, "/"-separated) → Verilog text. */
  files: ReadonlyMap<string, string>;
  /** The files to read, in order (dependency order). */
  order: readonly string[];
}

export interface ResourceRun {
  summary: NetlistSummary;
  /** The cache entry: synth.ys, yosys.log, summary.json. */
  dir: string;
  cached: boolean;
}

/** Where runs are cached: $PIM_GEN_CACHE/synth, or <repo>/.cache/synth. */
export function synthCacheRoot(): string {
  const base = process.env["PIM_GEN_CACHE"];
  return base ? resolve(base, "synth") : join(packageRoot(), ".cache", "synth");
}

function checkPaths(s: YosysSources): void {
  for (const p of s.order) {
    if (!SAFE_PATH.test(p) || p.split("/").includes("..")) throw new Error(`yosys: bad source path "${p}"`);
    if (!s.files.has(p)) throw new Error(`yosys: ${p} is in the file list but has no text`);
  }
}

/** The resource run's script: read, synthesise with the hierarchy kept, write the netlist. */
export function resourceScript(s: YosysSources, target: Target): string {
  return [
    `# gen-rtl synth: ${s.name} for ${target}, hierarchy kept for per-module resources`,
    `read_verilog -defer ${s.order.join(" ")}`,
    `${TARGET_INFO[target].synth} -top ${s.top}`,
    `json -o netlist.json`,
    "",
  ].join("\n");
}

/** The netlist run's script (iCE40, flattened): the JSON nextpnr-ice40 reads. */
export function ice40NetlistScript(s: YosysSources): string {
  return [
    `# gen-rtl synth --pnr: ${s.name} for nextpnr-ice40`,
    `read_verilog -defer ${s.order.join(" ")}`,
    `synth_ice40 -dsp -top ${s.top} -json design.json`,
    "",
  ].join("\n");
}

function cacheKey(s: YosysSources, script: string, version: string, kind: string): string {
  const h = createHash("sha256");
  h.update(JSON.stringify({ format: CACHE_FORMAT, kind, version, script, top: s.top, files: s.order.map((p) => [p, s.files.get(p)]) }));
  return h.digest("hex").slice(0, 24);
}

/**
 * Run `script` on the sources in a fresh folder under the cache root; `finish(tmp)` turns the
 * folder into a cache entry (and throws if the run did not produce what it should).
 */
async function cachedRun(s: YosysSources, key: string, script: string, done: string, finish: (tmp: string) => void): Promise<{ dir: string; cached: boolean }> {
  const root = synthCacheRoot();
  const dir = join(root, key);
  if (existsSync(join(dir, done))) return { dir, cached: true };
  mkdirSync(root, { recursive: true });
  const tmp = mkdtempSync(join(root, `.tmp-${key}-`));
  try {
    for (const p of s.order) {
      const file = join(tmp, p);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, s.files.get(p) ?? "");
    }
    writeFileSync(join(tmp, "synth.ys"), script);
    try {
      await execa(YOSYS.command, ["-q", "-l", "yosys.log", "-s", "synth.ys"], { cwd: tmp, maxBuffer: 64 * 1024 * 1024 });
    } catch (e) {
      if (isMissingTool(e)) throw new UserError(missingToolMessage(YOSYS));
      const log = existsSync(join(tmp, "yosys.log")) ? readFileSync(join(tmp, "yosys.log"), "utf8") : "";
      const errs = log.split("\n").filter((l) => /ERROR/.test(l));
      const detail = errs.length > 0 ? errs.slice(-10).join("\n") : failureTail(e);
      if (e instanceof ExecaError || errs.length > 0) throw new Error(`yosys failed on ${s.name} (top ${s.top}):\n${detail}`);
      throw e;
    }
    finish(tmp);
    try {
      renameSync(tmp, dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // Another process finished the same run first: use its entry.
      if ((code === "ENOTEMPTY" || code === "EEXIST") && existsSync(join(dir, done))) {
        rmSync(tmp, { recursive: true, force: true });
        return { dir, cached: true };
      }
      throw e;
    }
    return { dir, cached: false };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

const SUMMARY = "summary.json";

/** Synthesise for `target` with the hierarchy kept; the netlist's summary (cached). */
export async function synthResources(s: YosysSources, target: Target): Promise<ResourceRun> {
  checkPaths(s);
  const version = await toolVersion(YOSYS);
  const script = resourceScript(s, target);
  const key = `${s.name}-${target}-${cacheKey(s, script, version, `resources-${target}`)}`;
  const { dir, cached } = await cachedRun(s, key, script, SUMMARY, (tmp) => {
    const netlist = join(tmp, "netlist.json");
    if (!existsSync(netlist)) throw new Error(`yosys: no netlist.json for ${s.name}`);
    const summary = summariseNetlist(readFileSync(netlist, "utf8"), s.top);
    writeFileSync(join(tmp, SUMMARY), `${JSON.stringify(summary, null, 1)}\n`);
    rmSync(netlist);
  });
  const summary = JSON.parse(readFileSync(join(dir, SUMMARY), "utf8")) as NetlistSummary;
  return { summary, dir, cached };
}

/** Synthesise for nextpnr-ice40 (flattened); the cache entry holding design.json. */
export async function synthIce40Netlist(s: YosysSources): Promise<{ dir: string; json: string; cached: boolean }> {
  checkPaths(s);
  const version = await toolVersion(YOSYS);
  const script = ice40NetlistScript(s);
  const key = `${s.name}-ice40-pnr-${cacheKey(s, script, version, "netlist-ice40")}`;
  const { dir, cached } = await cachedRun(s, key, script, "design.json", (tmp) => {
    if (!existsSync(join(tmp, "design.json"))) throw new Error(`yosys: no design.json for ${s.name}`);
  });
  return { dir, json: join(dir, "design.json"), cached };
}
