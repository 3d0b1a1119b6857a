// The Verilator harness: build a Verilated model (Verilog + a C++ testbench, `--exe --build`), run
// it, lint Verilog. External tools run through execa with argument arrays, never a shell.
//
// Builds are cached by content: a build lives in .cache/verilator/<name>-<hash>/, where the hash
// covers the sources, the Verilator version, the top module and the flags. A build runs in a
// temporary sibling folder that is renamed into place only when the executable exists, so a killed
// or failed build never leaves a half cache entry.
import { execa, ExecaError } from "execa";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { UserError } from "../../generator/errors.js";
import { packageRoot } from "../../generator/paths.js";

export interface VerilatorBuild {
  /** Identifier for the build folder, e.g. "tiny_bank_gemv". */
  name: string;
  /** Top module name. */
  top: string;
  /** File name → file text: Verilog files (.v/.sv, headers .vh/.svh) and the C++ testbench (.cpp, headers .h). */
  sources: Record<string, string>;
  /**
   * Build with waveform tracing: Verilator's --trace, and PIM_TRACE defined for the testbench,
   * which then writes a VCD to the path given as +trace+PATH. A separate cache entry.
   */
  trace?: boolean;
  /** Verilog macros to define (+define+NAME), e.g. PIM_GEN_PRELOAD; identifiers only. Part of the cache key. */
  defines?: readonly string[];
}

/** Extra flags of a tracing build. */
export const TRACE_FLAGS: readonly string[] = ["--trace", "-CFLAGS", "-DPIM_TRACE"];

export interface BuiltModel {
  /** The executable. */
  exe: string;
  /** The build folder (sources and Verilator's obj_dir). */
  dir: string;
  /** True when the build was found in the cache. */
  cached: boolean;
}

/** Flags of every build; part of the cache key. Warnings are fatal: generated Verilog must be -Wall clean. */
export const BUILD_FLAGS: readonly string[] = [
  "--cc",
  "--exe",
  "--build",
  "-j",
  "2",
  "-O2",
  "--x-assign",
  "unique",
  "--x-initial",
  "unique",
  "-Wall",
  "--no-timing",
];

const EXE_NAME = "sim";
const VERILOG_EXT = /\.(v|sv)$/;
const CPP_EXT = /\.(cpp|cc|cxx|c)$/;
const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

const MISSING = "verilator not found; install it with apt-get install -y verilator";

/** Where builds are cached: $PIM_GEN_CACHE/verilator, or <repo>/.cache/verilator. */
export function cacheRoot(): string {
  const base = process.env["PIM_GEN_CACHE"];
  return base ? resolve(base, "verilator") : join(packageRoot(), ".cache", "verilator");
}

function isMissingTool(e: unknown): boolean {
  return e instanceof ExecaError && (e as ExecaError & { code?: string }).code === "ENOENT";
}

let versionPromise: Promise<string> | undefined;

/** `verilator --version`, e.g. "Verilator 5.006 2023-01-22 rev (Debian 5.006-3)". Throws UserError when missing. */
export function verilatorVersion(): Promise<string> {
  versionPromise ??= execa("verilator", ["--version"]).then(
    (r) => r.stdout.trim(),
    (e: unknown) => {
      versionPromise = undefined;
      if (isMissingTool(e)) throw new UserError(MISSING);
      throw e;
    },
  );
  return versionPromise;
}

/** True when verilator runs; for tests that skip without it. */
export async function haveVerilator(): Promise<boolean> {
  try {
    await verilatorVersion();
    return true;
  } catch {
    return false;
  }
}

function checkNames(files: Record<string, string>): void {
  for (const name of Object.keys(files)) {
    if (!SAFE_NAME.test(name)) throw new Error(`verilator harness: bad source file name "${name}" (plain file names only)`);
  }
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function defineFlags(b: VerilatorBuild): string[] {
  return (b.defines ?? []).map((d) => {
    if (!IDENTIFIER.test(d)) throw new Error(`verilator build ${b.name}: define ${JSON.stringify(d)} is not an identifier`);
    return `+define+${d}`;
  });
}

function buildKey(b: VerilatorBuild, version: string): string {
  const h = createHash("sha256");
  const sources = Object.entries(b.sources).map(([k, v]) => [k, v]);
  h.update(JSON.stringify({ top: b.top, flags: [...(b.trace ? [...BUILD_FLAGS, ...TRACE_FLAGS] : BUILD_FLAGS), ...defineFlags(b)], version, sources }));
  return h.digest("hex");
}

function toolOutput(e: unknown): string {
  if (e instanceof ExecaError) {
    const parts: unknown[] = [e.stderr, e.stdout];
    const out = parts.filter((s): s is string => typeof s === "string" && s.length > 0).join("\n");
    return out.length > 0 ? out : e.shortMessage;
  }
  return String(e);
}

/** Verilator's and the C++ compiler's complaints, without the make noise, capped for readable errors. */
function tail(text: string, lines = 60): string {
  const all = text.split("\n");
  const errs = all.filter((l) => /%(Error|Warning)|error:|warning:/.test(l));
  const pick = errs.length > 0 ? errs : all;
  return pick.slice(-lines).join("\n");
}

const inFlight = new Map<string, Promise<BuiltModel>>();

export async function buildVerilated(b: VerilatorBuild): Promise<BuiltModel> {
  if (!SAFE_NAME.test(b.name)) throw new Error(`verilator harness: bad build name "${b.name}"`);
  checkNames(b.sources);
  const version = await verilatorVersion();
  const key = `${b.name}-${buildKey(b, version)}`;
  const running = inFlight.get(key);
  if (running) return running;
  const p = doBuild(b, key).finally(() => inFlight.delete(key));
  inFlight.set(key, p);
  return p;
}

async function doBuild(b: VerilatorBuild, key: string): Promise<BuiltModel> {
  const root = cacheRoot();
  const dir = join(root, key);
  const exeIn = (d: string) => join(d, "obj_dir", EXE_NAME);
  if (existsSync(exeIn(dir))) return { exe: exeIn(dir), dir, cached: true };

  mkdirSync(root, { recursive: true });
  const tmp = mkdtempSync(join(root, `.tmp-${key.slice(0, 48)}-`));
  try {
    for (const [name, text] of Object.entries(b.sources)) writeFileSync(join(tmp, name), text);
    const names = Object.keys(b.sources);
    const args = [
      ...BUILD_FLAGS,
      ...(b.trace ? TRACE_FLAGS : []),
      ...defineFlags(b),
      "--top-module",
      b.top,
      "--Mdir",
      "obj_dir",
      "-o",
      EXE_NAME,
      `+incdir+${tmp}`,
      "-CFLAGS",
      `-I${tmp}`,
      ...names.filter((n) => VERILOG_EXT.test(n)),
      ...names.filter((n) => CPP_EXT.test(n)),
    ];
    try {
      await execa("verilator", args, { cwd: tmp, all: false });
    } catch (e) {
      if (isMissingTool(e)) throw new UserError(MISSING);
      throw new Error(`verilator build ${b.name} failed:\n${tail(toolOutput(e))}`);
    }
    if (!existsSync(exeIn(tmp))) throw new Error(`verilator build ${b.name}: no executable at ${exeIn(tmp)}`);
    try {
      renameSync(tmp, dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // Another process finished the same build first: use its entry.
      if ((code === "ENOTEMPTY" || code === "EEXIST") && existsSync(exeIn(dir))) {
        rmSync(tmp, { recursive: true, force: true });
        return { exe: exeIn(dir), dir, cached: true };
      }
      throw e;
    }
    return { exe: exeIn(dir), dir, cached: false };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Run a built model; returns its stdout. Throws with its stderr when it exits non-zero or times out. */
export async function runVerilated(m: BuiltModel, args: string[], opts?: { timeoutMs?: number }): Promise<string> {
  try {
    const r = await execa(m.exe, args, { cwd: m.dir, timeout: opts?.timeoutMs ?? 120_000, maxBuffer: 256 * 1024 * 1024 });
    return r.stdout;
  } catch (e) {
    if (e instanceof ExecaError && e.timedOut) {
      throw new Error(`${m.exe} timed out after ${opts?.timeoutMs ?? 120_000} ms`);
    }
    throw new Error(`${m.exe} ${args.join(" ")} failed:\n${tail(toolOutput(e), 40)}`);
  }
}

/**
 * `verilator --lint-only -Wall` on `files` with `top` as the top module. Returns Verilator's
 * messages (warnings and errors, first line of each, paths relative to the file set); empty = clean.
 * `-Wno-fatal` only keeps Verilator going to report every warning: it silences none.
 */
export async function lintVerilog(files: Record<string, string>, top: string): Promise<string[]> {
  checkNames(files);
  await verilatorVersion();
  const dir = mkdtempSync(join(tmpdir(), `pim-gen-lint-${randomBytes(4).toString("hex")}-`));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const names = Object.keys(files).filter((n) => VERILOG_EXT.test(n));
    const r = await execa(
      "verilator",
      ["--lint-only", "-Wall", "-Wno-fatal", "--no-timing", "--top-module", top, `+incdir+${dir}`, ...names],
      { cwd: dir, reject: false },
    );
    const messages = `${r.stderr}\n${r.stdout}`
      .split("\n")
      .filter((l) => /^%(Warning|Error)/.test(l))
      .map((l) => l.split(`${dir}/`).join(""));
    if (r.exitCode !== 0 && messages.length === 0) {
      messages.push(`%Error: verilator exited with ${r.exitCode}: ${tail(`${r.stderr}\n${r.stdout}`, 10)}`);
    }
    return messages;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
