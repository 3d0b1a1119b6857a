// Resource baselines: what the presets synthesised to when the baseline was taken, per target, in
// generator/synth/baselines.json. Every `gen-rtl synth` of a spec that has a baseline compares with
// it — LUTs and flip-flops within ±10 %, block RAMs and DSPs exactly — so a change to the RTL that
// moves the chip's size shows up as a failed check. A baseline is a regression guard, not a
// truth: its numbers are copied from a run (`gen-rtl synth <spec> --target T --update-baselines`
// rewrites the entry), and the spec's hash is part of it, so an edited preset has no baseline
// until one is taken again.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../paths.js";
import type { Spec } from "../spec/schema.js";
import type { Resources } from "./cells.js";
import type { Target } from "./targets.js";

export const TOLERANCE = { lut: 0.1, ff: 0.1 } as const;

export interface Baseline {
  spec_sha256: string;
  yosys: string;
  lut: number;
  ff: number;
  bram: number;
  dsp: number;
  carry: number;
}

export interface BaselineFile {
  about: string;
  entries: Record<string, Baseline>;
}

export interface BaselineComparison {
  /** "none": no baseline for this spec and target (or the spec changed since it was taken). */
  status: "pass" | "fail" | "none";
  key: string;
  detail: string;
  baseline: Baseline | null;
}

const ABOUT =
  "gen-rtl synth resource baselines (a regression guard, copied from runs): LUTs/FFs ±10 %, block RAM and DSP exact. " +
  "Regenerate an entry with `gen-rtl synth <spec> --target <t> --update-baselines`.";

export function baselinesPath(): string {
  return join(packageRoot(), "generator", "synth", "baselines.json");
}

export function specHash(spec: Spec): string {
  return createHash("sha256").update(JSON.stringify(spec)).digest("hex");
}

export function baselineKey(name: string, target: Target): string {
  return `${name}/${target}`;
}

export function readBaselines(path = baselinesPath()): BaselineFile {
  if (!existsSync(path)) return { about: ABOUT, entries: {} };
  const parsed = JSON.parse(readFileSync(path, "utf8")) as BaselineFile;
  return { about: ABOUT, entries: parsed.entries ?? {} };
}

/** Write (or replace) one entry, keys sorted; atomic (temp file, rename). */
export function writeBaseline(key: string, b: Baseline, path = baselinesPath()): void {
  const file = readBaselines(path);
  file.entries[key] = b;
  const sorted: Record<string, Baseline> = {};
  for (const k of Object.keys(file.entries).sort()) {
    const e = file.entries[k];
    if (e) sorted[k] = e;
  }
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify({ about: ABOUT, entries: sorted }, null, 2)}\n`);
  renameSync(tmp, path);
}

function within(actual: number, base: number, tol: number): boolean {
  return Math.abs(actual - base) <= tol * base;
}

/** Compare resources with a baseline: LUTs and FFs within TOLERANCE, block RAMs and DSPs exact. */
export function compareWithBaseline(key: string, r: Resources, hash: string, b: Baseline | undefined): BaselineComparison {
  if (!b) return { status: "none", key, detail: `no baseline for ${key}`, baseline: null };
  if (b.spec_sha256 !== hash) {
    return { status: "none", key, detail: `the baseline of ${key} was taken for a different spec (the preset changed): take a new one with --update-baselines`, baseline: b };
  }
  const problems: string[] = [];
  const pct = (a: number, base: number) => (base === 0 ? "" : ` (${a >= base ? "+" : ""}${(((a - base) / base) * 100).toFixed(1)} %)`);
  if (!within(r.lut, b.lut, TOLERANCE.lut)) problems.push(`LUTs ${r.lut}, baseline ${b.lut}${pct(r.lut, b.lut)}, more than ±10 %`);
  if (!within(r.ff, b.ff, TOLERANCE.ff)) problems.push(`FFs ${r.ff}, baseline ${b.ff}${pct(r.ff, b.ff)}, more than ±10 %`);
  if (r.bram !== b.bram) problems.push(`block RAMs ${r.bram}, baseline ${b.bram} (exact)`);
  if (r.dsp !== b.dsp) problems.push(`DSPs ${r.dsp}, baseline ${b.dsp} (exact)`);
  return problems.length > 0
    ? { status: "fail", key, detail: problems.join("; "), baseline: b }
    : {
        status: "pass",
        key,
        detail: `LUT ${r.lut}/${b.lut}${pct(r.lut, b.lut)}, FF ${r.ff}/${b.ff}${pct(r.ff, b.ff)}, BRAM ${r.bram}/${b.bram}, DSP ${r.dsp}/${b.dsp}`,
        baseline: b,
      };
}
