// What `gen-rtl report` finds beside the generated tree (rtl-out/<name>/ by default), each read
// only when present and checked against the shape its writer gives it:
//   sim.json           the latest `gen-rtl sim` (SuiteResult + test_pattern), written by the sim command;
//   synth/<target>.json `gen-rtl synth`: { target, device, resources: { lut, ff, bram, dsp },
//                      per_module, fmax_mhz, fits } (other JSON files there, with no "target",
//                      are the tools' own reports and are left alone);
//   sweep/sweep.json, sweep/sweep.svg  the latest `gen-rtl sweep` into the default folder.
// A file that does not parse is not an error: the report says it was skipped and why.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

const simSchema = z.object({
  spec: z.string(),
  seed: z.number(),
  tests: z.array(
    z.object({
      name: z.string(),
      passed: z.boolean(),
      cycles: z.object({ measured: z.number(), model: z.number() }).optional(),
      sim_cycles_per_s: z.number().optional(),
      detail: z.string().optional(),
    }),
  ),
  passed: z.number(),
  failed: z.number(),
  test_pattern: z.string().nullable().optional(),
});
export type SimFile = z.infer<typeof simSchema>;

const resources = z.object({ lut: z.number(), ff: z.number(), bram: z.number(), dsp: z.number() });
const moduleResources = resources.partial().extend({ module: z.string().optional(), name: z.string().optional(), instances: z.number().optional() });

const synthSchema = z.object({
  target: z.string(),
  device: z.string(),
  resources,
  capacity: resources.partial().optional(),
  per_module: z.union([z.array(moduleResources), z.record(z.string(), moduleResources), z.null()]).optional(),
  fmax_mhz: z.number().nullable().optional(),
  fits: z.boolean().nullable().optional(),
  fit_message: z.string().nullable().optional(),
});
export type SynthFile = z.infer<typeof synthSchema>;

export interface ModuleResources {
  module: string;
  instances: number | null;
  lut: number | null;
  ff: number | null;
  bram: number | null;
  dsp: number | null;
}

export interface SynthResult {
  file: string;
  target: string;
  device: string;
  resources: { lut: number; ff: number; bram: number; dsp: number };
  /** The device's, when the file says. */
  capacity: { lut: number | null; ff: number | null; bram: number | null; dsp: number | null };
  fit_message: string | null;
  fmax_mhz: number | null;
  fits: boolean | null;
  modules: ModuleResources[];
}

const sweepSchema = z.object({
  spec: z.string(),
  metric: z.string(),
  mapping: z.string(),
  vary: z.array(z.object({ path: z.string(), values: z.array(z.union([z.number(), z.string(), z.boolean()])) })),
  points: z.array(z.unknown()),
  rtl: z.object({ tokens: z.number(), seed: z.number(), passed: z.number(), failed: z.number() }).nullable(),
});

export interface SweepFound {
  metric: string;
  mapping: string;
  vary: { path: string; values: string }[];
  points: number;
  rtl: { passed: number; failed: number } | null;
  svg: string;
}

export interface ReportInputs {
  sim: SimFile | null;
  synth: SynthResult[];
  sweep: SweepFound | null;
  /** Files found but not used, with why. */
  skipped: string[];
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, "utf8"));
}

function why(e: unknown): string {
  if (e instanceof z.ZodError) return e.issues.slice(0, 2).map((i) => `${i.path.join(".") || "(top)"}: ${i.message}`).join("; ");
  return e instanceof Error ? e.message : String(e);
}

function modulesOf(s: SynthFile): ModuleResources[] {
  const pm = s.per_module;
  if (!pm) return [];
  const entries: [string, z.infer<typeof moduleResources>][] = Array.isArray(pm) ? pm.map((m, i) => [m.module ?? m.name ?? `#${i}`, m]) : Object.entries(pm);
  return entries.map(([module, m]) => ({ module, instances: m.instances ?? null, lut: m.lut ?? null, ff: m.ff ?? null, bram: m.bram ?? null, dsp: m.dsp ?? null }));
}

export function readReportInputs(dir: string, specName: string): ReportInputs {
  const skipped: string[] = [];
  let sim: SimFile | null = null;
  const simFile = join(dir, "sim.json");
  if (existsSync(simFile)) {
    try {
      sim = simSchema.parse(readJson(simFile));
      if (sim.spec !== specName) {
        skipped.push(`${simFile}: results of spec ${sim.spec}, not ${specName}`);
        sim = null;
      }
    } catch (e) {
      skipped.push(`${simFile}: ${why(e)}`);
    }
  }
  const synth: SynthResult[] = [];
  const synthDir = join(dir, "synth");
  if (existsSync(synthDir)) {
    for (const name of readdirSync(synthDir).filter((f) => f.endsWith(".json")).sort()) {
      const file = join(synthDir, name);
      try {
        const data = readJson(file);
        // synth/ also holds tool reports (nextpnr-report.json, …): only results name their target.
        if (typeof data !== "object" || data === null || !("target" in data)) continue;
        const s = synthSchema.parse(data);
        const c = s.capacity ?? {};
        synth.push({
          file: name,
          target: s.target,
          device: s.device,
          resources: s.resources,
          capacity: { lut: c.lut ?? null, ff: c.ff ?? null, bram: c.bram ?? null, dsp: c.dsp ?? null },
          fit_message: s.fit_message ?? null,
          fmax_mhz: s.fmax_mhz ?? null, fits: s.fits ?? null, modules: modulesOf(s) });
      } catch (e) {
        skipped.push(`${file}: ${why(e)}`);
      }
    }
  }
  let sweep: SweepFound | null = null;
  const sweepJson = join(dir, "sweep", "sweep.json");
  const sweepSvg = join(dir, "sweep", "sweep.svg");
  if (existsSync(sweepJson) && existsSync(sweepSvg)) {
    try {
      const s = sweepSchema.parse(readJson(sweepJson));
      const svg = readFileSync(sweepSvg, "utf8");
      if (!svg.startsWith("<svg")) throw new Error("sweep.svg does not start with <svg");
      if (/<script|\bon[a-z]+=|href="(?!#)/i.test(svg)) throw new Error("sweep.svg holds a script or a link");
      sweep = {
        metric: s.metric,
        mapping: s.mapping,
        vary: s.vary.map((v) => ({ path: v.path, values: v.values.map(String).join(", ") })),
        points: s.points.length,
        rtl: s.rtl ? { passed: s.rtl.passed, failed: s.rtl.failed } : null,
        svg,
      };
    } catch (e) {
      skipped.push(`${sweepJson}: ${why(e)}`);
    }
  }
  return { sim, synth, sweep, skipped };
}
