// The controller vector ALU in Verilator: seeded random and extreme vectors for every op, expected
// results from the golden models (sim/golden/ctrl_*.ts) and expected cycles from the cycle model
// (generator/model/cycles-controller.ts), never from the RTL. One Verilated build per parameter
// set (<name>_ctrl_valu with every unit); each op's cases run with more than one
// +verilator+seed and +verilator+rand+reset+2, so results cannot depend on uninitialised state.
//
// Checks per case: every output lane bit-exact; lanes past len zero; the right number of output
// beats with y_last on the final one only; every input beat taken; no extra output; and, when
// source and sink never stall, measured cycles (first input handshake .. last output handshake,
// inclusive) equal to the model's (tolerance CYCLE_TOLERANCE, aim exact). Cases with random
// stalls check the data and that the cycles are not fewer than the model's.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CTRL_OPS, ctrlOpCycles, ctrlShape, type CtrlOp, type CtrlShape } from "../../generator/model/cycles-controller.js";
import { controllerRtlModulesFor } from "../../generator/rtl/ctrl_index.js";
import { ctrlParams, type CtrlParams } from "../../generator/rtl/ctrl_params.js";
import { CTRL_OPCODES, valuWidths } from "../../generator/rtl/ctrl_valu.js";
import type { LoadedSpec } from "../../generator/spec/load.js";
import { ctrlValuTestbench } from "../../generator/tb/ctrl_valu_tb.js";
import { goldenAdd, goldenMax, goldenMul, goldenRequant, goldenSum } from "../golden/ctrl_elementwise.js";
import { maxSigned, minSigned } from "../golden/ctrl_fixed.js";
import { goldenRmsnorm } from "../golden/ctrl_rmsnorm.js";
import { goldenRope } from "../golden/ctrl_rope.js";
import { goldenSilu } from "../golden/ctrl_silu.js";
import { goldenSoftmax } from "../golden/ctrl_softmax.js";
import { buildVerilated, runVerilated, type BuiltModel, type VerilatorBuild } from "../harness/verilator.js";
import { prng, type Prng } from "../prng.js";
import { CYCLE_TOLERANCE, cyclesWithinTolerance, type SimCheck, type SimTest } from "../suite.js";

/** One vector op: its configuration and operands (a: A-bit codes, or ACC-bit for requant; b: A-bit codes or empty). */
export interface CtrlCase {
  label: string;
  op: CtrlOp;
  len: number;
  shift: number;
  mult: bigint;
  pos: number;
  a: bigint[];
  b: bigint[];
  /** Probability (%) that the source offers a beat / the sink is ready in a cycle; 100 = cycle-exact. */
  percent: number;
  stallSeed: number;
}

export interface CtrlBeatOut {
  cycle: number;
  last: boolean;
  data: string;
}

export interface CtrlTbResult {
  first_in: number;
  last_out: number;
  a_taken: number;
  b_taken: number;
  extra: number;
  timeout: boolean;
  out: CtrlBeatOut[];
}

export interface CtrlTbRun {
  tests: CtrlTbResult[];
  ticks: number;
  wall_s: number;
}

/** +verilator+seed values each op's cases run with (with +verilator+rand+reset+2). */
export const CTRL_VERILATOR_SEEDS: readonly number[] = [1, 7];

const USES_B: ReadonlySet<CtrlOp> = new Set<CtrlOp>(["add", "mul", "rmsnorm"]);

/** The Verilator build of a parameter set: every ctrl module and the testbench; `trace` for waveforms. */
export function ctrlBuild(p: CtrlParams, trace = false): VerilatorBuild {
  const modules = controllerRtlModulesFor(p);
  const top = `${p.name}_ctrl_valu`;
  const sources: Record<string, string> = {};
  for (const m of modules) sources[`${m.module}.v`] = m.text;
  sources["ctrl_valu_tb.cpp"] = ctrlValuTestbench(p).text;
  return { name: top, top, sources, trace };
}

/** The golden result: len elements, or one for sum and max. */
export function ctrlExpected(p: CtrlParams, c: CtrlCase): bigint[] {
  switch (c.op) {
    case "add":
      return goldenAdd(p, c.a, c.b);
    case "mul":
      return goldenMul(p, c.a, c.b, c.shift);
    case "sum":
      return [goldenSum(p, c.a)];
    case "max":
      return [goldenMax(p, c.a)];
    case "softmax":
      return goldenSoftmax(p, c.a);
    case "rmsnorm":
      return goldenRmsnorm(p, c.a, c.b);
    case "silu":
      return goldenSilu(p, c.a);
    case "rope":
      return goldenRope(p, c.a, c.pos);
    case "requant":
      return goldenRequant(p, c.a, c.mult, c.shift);
  }
}

/** Pack lanes (lane 0 in the low bits) into hexadecimal beats; lanes past the data get `pad`. */
export function packBeats(values: readonly bigint[], lanes: number, bits: number, pad: (i: number) => bigint): string[] {
  const beats: string[] = [];
  for (let start = 0; start < values.length; start += lanes) {
    let w = 0n;
    for (let j = lanes - 1; j >= 0; j--) {
      const i = start + j;
      const v = i < values.length ? values[i]! : pad(i);
      w = (w << BigInt(bits)) | BigInt.asUintN(bits, v);
    }
    beats.push(w.toString(16));
  }
  return beats;
}

export function unpackBeat(hex: string, lanes: number, bits: number): bigint[] {
  const w = BigInt(`0x${hex}`);
  return Array.from({ length: lanes }, (_, j) => BigInt.asIntN(bits, w >> BigInt(j * bits)));
}

/** The stimulus file of a list of cases (format: templates/tb/ctrl_valu_tb.cpp.hbs). */
export function ctrlStimulus(p: CtrlParams, cases: readonly CtrlCase[], padRng: Prng, limit: number): string {
  const { iw } = valuWidths(p);
  const lines: string[] = [`limit ${limit}`];
  for (const c of cases) {
    lines.push(`test ${CTRL_OPCODES[c.op]} ${c.len} ${c.shift} ${c.mult} ${c.pos} ${c.percent} ${c.stallSeed}`);
    // Lanes past len carry random values: the unit must ignore them.
    const aBits = c.op === "requant" ? p.acc : p.a;
    for (const h of packBeats(c.a, p.lanes, iw, () => padRng.signed(aBits))) lines.push(`a ${h}`);
    if (USES_B.has(c.op)) for (const h of packBeats(c.b, p.lanes, p.a, () => padRng.signed(p.a))) lines.push(`b ${h}`);
    lines.push("run");
  }
  return lines.join("\n") + "\n";
}

function isTbRun(x: unknown): x is CtrlTbRun {
  return typeof x === "object" && x !== null && Array.isArray((x as { tests?: unknown }).tests);
}

/** Run cases on a built model with one +verilator+seed; each case gives up after `limit` cycles. */
export async function runCtrlCases(
  model: BuiltModel,
  p: CtrlParams,
  cases: readonly CtrlCase[],
  verilatorSeed: number,
  padRng: Prng,
  limit: number,
  tracePath?: string,
): Promise<CtrlTbRun> {
  const dir = mkdtempSync(join(tmpdir(), "pim-gen-ctrl-"));
  try {
    const file = join(dir, "stimulus.txt");
    writeFileSync(file, ctrlStimulus(p, cases, padRng, limit));
    const traceArgs = tracePath === undefined ? [] : [`+trace+${tracePath}`];
    const out = await runVerilated(model, [file, `+verilator+seed+${verilatorSeed}`, "+verilator+rand+reset+2", ...traceArgs]);
    const parsed: unknown = JSON.parse(out);
    if (!isTbRun(parsed) || parsed.tests.length !== cases.length) {
      throw new Error(`ctrl testbench: expected ${cases.length} results, got ${out.slice(0, 200)}`);
    }
    return parsed;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Cycles after which a case counts as hung: 20 × the slowest case's stall-free prediction. */
export function ctrlCycleLimit(shape: CtrlShape, cases: readonly CtrlCase[]): number {
  return 20 * Math.max(...cases.map((c) => ctrlOpCycles(shape, c.op, c.len))) + 1000;
}

function show(xs: readonly bigint[], at: number): string {
  const lo = Math.max(0, at - 2);
  return `[${lo}..]: ${xs
    .slice(lo, at + 3)
    .map((x) => x.toString())
    .join(", ")}`;
}

/** Check one case's testbench result against the golden model and the cycle model. */
export function checkCtrlCase(p: CtrlParams, shape: CtrlShape, c: CtrlCase, r: CtrlTbResult, prefix: string): SimCheck {
  const name = `${prefix}${c.op}.${c.label}`;
  const { ow } = valuWidths(p);
  const reduce = c.op === "sum" || c.op === "max";
  const beats = Math.ceil(c.len / p.lanes);
  const model = ctrlOpCycles(shape, c.op, c.len);
  const fail = (detail: string, measured?: number): SimCheck => ({
    name,
    passed: false,
    detail,
    ...(measured === undefined ? {} : { cycles: { measured, model } }),
  });
  if (r.timeout) return fail(`timed out: ${r.out.length} output beats, a taken ${r.a_taken}, b taken ${r.b_taken}`);
  const measured = r.last_out - r.first_in + 1;
  const outBeats = reduce ? 1 : beats;
  if (r.out.length !== outBeats) return fail(`${r.out.length} output beats, expected ${outBeats}`, measured);
  if (r.out.some((b, i) => b.last !== (i === outBeats - 1))) return fail("y_last not exactly on the final beat", measured);
  if (r.extra !== 0) return fail(`${r.extra} extra output beats after y_last`, measured);
  if (r.a_taken !== beats) return fail(`took ${r.a_taken} a beats, expected ${beats}`, measured);
  const bBeats = USES_B.has(c.op) ? beats : 0;
  if (r.b_taken !== bBeats) return fail(`took ${r.b_taken} b beats, expected ${bBeats}`, measured);

  const got = r.out.flatMap((b) => unpackBeat(b.data, p.lanes, ow));
  const want = ctrlExpected(p, c);
  const n = reduce ? 1 : c.len;
  for (let i = 0; i < got.length; i++) {
    const w = i < n ? want[i]! : 0n;
    if (got[i] !== w) {
      return fail(
        i < n
          ? `element ${i}: RTL ${got[i]} golden ${w} (golden ${show(want, i)}; RTL ${show(got, i)})`
          : `lane ${i} past len ${n} is ${got[i]}, expected 0`,
        measured,
      );
    }
  }
  if (c.percent >= 100) {
    if (!cyclesWithinTolerance(measured, model)) {
      return fail(`cycles ${measured}, model ${model}: more than ${CYCLE_TOLERANCE * 100} % apart`, measured);
    }
    return { name, passed: true, cycles: { measured, model } };
  }
  // With stalls the model predicts no cycle count, only a floor: the stall-free count.
  if (measured < model) {
    return fail(`with stalls took ${measured} cycles, fewer than the stall-free model's ${model}`, measured);
  }
  return { name, passed: true, detail: `with stalls: ${measured} cycles ≥ the stall-free ${model}` };
}

// ---- stimulus ----

/** Uniform integer in [lo, hi] (Prng.int, now exact for any span). */
export function randInt(rng: Prng, lo: number, hi: number): number {
  return rng.int(lo, hi);
}

function fill(n: number, f: (i: number) => bigint): bigint[] {
  return Array.from({ length: n }, (_, i) => f(i));
}

/** Cases for one op: seeded random vectors, extremes, and one run with random stalls. */
export function ctrlCases(p: CtrlParams, op: CtrlOp, rng: Prng): CtrlCase[] {
  const A = p.a;
  const lo = minSigned(A);
  const hi = maxSigned(A);
  const rnd = (n: number, bits = A) => fill(n, () => rng.signed(bits));
  const base = { shift: 0, mult: 0n, pos: 0, b: [] as bigint[], percent: 100, stallSeed: 1 };
  const cases: CtrlCase[] = [];
  const add = (label: string, c: Partial<CtrlCase> & { a: bigint[] }) =>
    cases.push({ ...base, label, op, len: c.a.length, ...c });
  const n1 = p.lanes;
  const nOdd = 2 * p.lanes + 1; // a partial final beat
  const longLen = (cap: number) => Math.min(cap, p.maxLen);

  switch (op) {
    case "add":
    case "mul": {
      const sh = (s: number) => (op === "mul" ? s : 0);
      for (let k = 0; k < 4; k++) {
        const len = randInt(rng, 1, 6 * p.lanes);
        add(`random${k}`, { a: rnd(len), b: rnd(len), shift: sh(randInt(rng, 0, 2 * A - 1)) });
      }
      add("most_negative", { a: fill(nOdd, () => lo), b: fill(nOdd, () => lo), shift: sh(A - 1) });
      add("full_scale", { a: fill(n1, () => hi), b: fill(n1, () => hi), shift: sh(0) });
      add("mixed_extremes", { a: fill(nOdd, (i) => (i % 2 ? hi : lo)), b: fill(nOdd, (i) => (i % 3 ? lo : hi)), shift: sh(2 * A - 1) });
      add("len1", { a: rnd(1), b: rnd(1), shift: sh(A - 2) });
      add("long", { a: rnd(longLen(64 * p.lanes)), b: rnd(longLen(64 * p.lanes)), shift: sh(A) });
      break;
    }
    case "sum":
    case "max": {
      for (let k = 0; k < 4; k++) add(`random${k}`, { a: rnd(randInt(rng, 1, 6 * p.lanes)) });
      add("most_negative_max_len", { a: fill(p.maxLen, () => lo) });
      add("full_scale_max_len", { a: fill(p.maxLen, () => hi) });
      add("len1", { a: [lo] });
      add("partial_beat", { a: rnd(nOdd) });
      break;
    }
    case "softmax": {
      const L = p.softmax.maxLen;
      for (let k = 0; k < 4; k++) add(`random${k}`, { a: rnd(randInt(rng, 1, L)) });
      add("random_max_len", { a: rnd(L) });
      add("all_equal", { a: fill(L, () => 3n) });
      add("one_hot_very_negative", { a: fill(Math.min(L, nOdd), (i) => (i === 1 ? hi : lo)) });
      add("all_most_negative", { a: fill(Math.min(L, nOdd), () => lo) });
      add("len1", { a: [rng.signed(A)] });
      add("narrow_spread", { a: fill(L, () => BigInt(randInt(rng, -2, 2))) });
      break;
    }
    case "rmsnorm": {
      const H = p.rmsnorm.maxLen;
      for (let k = 0; k < 4; k++) {
        const len = randInt(rng, 1, H);
        add(`random${k}`, { a: rnd(len), b: rnd(len) });
      }
      add("random_hidden", { a: rnd(H), b: rnd(H) });
      add("zeros", { a: fill(H, () => 0n), b: rnd(H) });
      add("most_negative", { a: fill(H, () => lo), b: fill(H, () => lo) });
      add("one_hot", { a: fill(H, (i) => (i === 3 % H ? hi : 0n)), b: fill(H, () => hi) });
      add("small_values", { a: fill(H, () => BigInt(randInt(rng, -1, 1))), b: rnd(H) });
      add("len1", { a: [BigInt(randInt(rng, 1, Number(hi)))], b: [hi] });
      break;
    }
    case "silu": {
      const all = fill(2 ** A, (i) => lo + BigInt(i)); // every input code
      const len = Math.min(all.length, p.maxLen);
      for (let s = 0; s < all.length; s += len) add(`all_codes${s / len}`, { a: all.slice(s, s + len) });
      add("random", { a: rnd(randInt(rng, 1, 6 * p.lanes)) });
      add("extremes", { a: fill(nOdd, (i) => (i % 2 ? hi : lo)) });
      add("len1", { a: [hi] });
      break;
    }
    case "rope": {
      const D = p.rope.headDim;
      const maxPos = 2 ** p.rope.posBits - 1;
      const heads = Math.max(1, Math.floor(Math.min(p.maxLen, 4 * D) / D));
      for (let k = 0; k < 4; k++) add(`random${k}`, { a: rnd(D * randInt(rng, 1, heads)), pos: randInt(rng, 0, maxPos) });
      add("pos0", { a: rnd(D), pos: 0 });
      add("pos_max", { a: rnd(D * heads), pos: maxPos });
      add("most_negative", { a: fill(D, () => lo), pos: randInt(rng, 0, maxPos) });
      add("full_scale", { a: fill(D, (i) => (i % 2 ? hi : lo)), pos: randInt(rng, 0, maxPos) });
      add("one_pair", { a: rnd(2), pos: randInt(rng, 0, maxPos) });
      break;
    }
    case "requant": {
      const accLo = minSigned(p.acc);
      const accHi = maxSigned(p.acc);
      const mb = p.requant.multBits;
      const shMax = 2 ** p.requant.shBits - 1;
      for (let k = 0; k < 4; k++) {
        add(`random${k}`, { a: rnd(randInt(rng, 1, 6 * p.lanes), p.acc), mult: rng.bits(mb), shift: randInt(rng, 0, p.acc + mb - 1) });
      }
      add("power_of_two_scale", { a: rnd(nOdd, p.acc), mult: 1n, shift: Math.max(0, p.acc - A) });
      add("extremes_saturate", { a: fill(nOdd, (i) => (i % 2 ? accHi : accLo)), mult: (1n << BigInt(mb)) - 1n, shift: 0 });
      add("extremes_max_shift", { a: fill(nOdd, (i) => (i % 2 ? accHi : accLo)), mult: (1n << BigInt(mb)) - 1n, shift: shMax });
      add("mult0", { a: rnd(n1, p.acc), mult: 0n, shift: 3 });
      add("ties", { a: fill(nOdd, (i) => BigInt(i - p.lanes) * 2n + 1n), mult: 1n, shift: 1 });
      break;
    }
  }
  // The same kinds of data once more with random stalls on both sides (data checked, cycles ≥ model).
  const stalled = cases[0]!;
  cases.push({ ...stalled, label: `${stalled.label}_stalls`, percent: 60, stallSeed: randInt(rng, 1, 1_000_000) });
  const last = cases[cases.length - 3]!;
  cases.push({ ...last, label: `${last.label}_stalls`, percent: 45, stallSeed: randInt(rng, 1, 1_000_000) });
  return cases;
}

/** Waveforms: with `trace`, the first Verilator seed's run writes <traceDir>/<name>_ctrl_<op>.vcd. */
export interface CtrlTraceOptions {
  trace: boolean;
  traceDir: string;
}

/** Run every case of one op with each Verilator seed; results must agree across seeds. */
export async function runCtrlOp(
  loaded: LoadedSpec,
  op: CtrlOp,
  seed: number,
  prefix = "ctrl/",
  traceOpts: CtrlTraceOptions = { trace: false, traceDir: "" },
): Promise<SimCheck[]> {
  const p = ctrlParams(loaded);
  const shape = ctrlShape(loaded.derived);
  const model = await buildVerilated(ctrlBuild(p, traceOpts.trace));
  const cases = ctrlCases(p, op, prng(seed).fork(`ctrl.${op}`));
  const checks: SimCheck[] = [];
  const runs: CtrlTbRun[] = [];
  const limit = ctrlCycleLimit(shape, cases);
  for (const [k, vs] of CTRL_VERILATOR_SEEDS.entries()) {
    const tracePath = traceOpts.trace && k === 0 ? join(traceOpts.traceDir, `${p.name}_ctrl_${op}.vcd`) : undefined;
    runs.push(await runCtrlCases(model, p, cases, vs, prng(seed).fork(`ctrl.${op}.pad`), limit, tracePath));
  }
  const first = runs[0]!;
  const simRate = first.wall_s > 0 ? first.ticks / first.wall_s : undefined;
  cases.forEach((c, i) => {
    const check = checkCtrlCase(p, shape, c, first.tests[i]!, prefix);
    for (const [k, run] of runs.entries()) {
      if (k === 0 || !check.passed) continue;
      if (JSON.stringify(run.tests[i]) !== JSON.stringify(first.tests[i])) {
        check.passed = false;
        check.detail = `results differ between +verilator+seed+${CTRL_VERILATOR_SEEDS[0]} and +verilator+seed+${CTRL_VERILATOR_SEEDS[k]} (uninitialised state)`;
      }
    }
    if (simRate !== undefined) check.sim_cycles_per_s = simRate;
    if (!check.passed) check.detail = `${check.detail ?? ""} (seed ${seed})`;
    checks.push(check);
  });
  return checks;
}

/** The controller ALU tests `gen-rtl sim` runs: one per op. */
export const ctrlSimTests: readonly SimTest[] = CTRL_OPS.map((op) => ({
  name: `ctrl/${op}`,
  description: `controller vector ALU: ${op}, golden-exact on random and extreme vectors, cycles against the model`,
  run: (ctx) => runCtrlOp(ctx.loaded, op, ctx.seed, "ctrl.", { trace: ctx.trace, traceDir: ctx.traceDir }),
}));
