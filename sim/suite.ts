// The RTL regression as `gen-rtl sim` runs it: named tests, each producing checks (bit-exact
// results against the golden model, measured cycles against the cycle model), a filter, a seed that
// reproduces a failure, and a result table or JSON.
import type { LoadedSpec } from "../generator/spec/load.js";

/** Measured and predicted cycles may differ by at most this fraction (aim: exact). */
export const CYCLE_TOLERANCE = 0.02;

export interface SimCheck {
  name: string;
  passed: boolean;
  cycles?: { measured: number; model: number };
  /** Simulated clock cycles per wall-clock second. */
  sim_cycles_per_s?: number;
  /** Why it failed, or what it showed. */
  detail?: string;
}

export interface SimContext {
  loaded: LoadedSpec;
  seed: number;
  /** Write a waveform (FST/VCD) per test into traceDir. */
  trace: boolean;
  traceDir: string;
}

export interface SimTest {
  name: string;
  /** What it covers, one line. */
  description: string;
  run(ctx: SimContext): Promise<SimCheck[]>;
}

export interface SuiteResult {
  spec: string;
  seed: number;
  tests: SimCheck[];
  passed: number;
  failed: number;
}

/** True when measured cycles are within CYCLE_TOLERANCE of the model's prediction. */
export function cyclesWithinTolerance(measured: number, model: number): boolean {
  if (model === 0) return measured === 0;
  return Math.abs(measured - model) / model <= CYCLE_TOLERANCE;
}

/** A glob-like filter: `*` matches anything; no `*` means "contains". */
export function matchesPattern(name: string, pattern: string | undefined): boolean {
  if (!pattern) return true;
  if (!pattern.includes("*")) return name.includes(pattern);
  const re = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
  return re.test(name);
}

export async function runSuite(tests: readonly SimTest[], ctx: SimContext, pattern?: string, onProgress?: (name: string) => void): Promise<SuiteResult> {
  const selected = tests.filter((t) => matchesPattern(t.name, pattern));
  const checks: SimCheck[] = [];
  for (const t of selected) {
    onProgress?.(t.name);
    try {
      checks.push(...(await t.run(ctx)));
    } catch (e) {
      checks.push({ name: t.name, passed: false, detail: e instanceof Error ? e.message : String(e) });
    }
  }
  const passed = checks.filter((c) => c.passed).length;
  return { spec: ctx.loaded.spec.name, seed: ctx.seed, tests: checks, passed, failed: checks.length - passed };
}
