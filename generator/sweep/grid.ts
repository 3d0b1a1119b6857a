// The grid of a sweep: `--vary PATH=V1,V2,…` options → every combination of their values → one
// spec object per point, each checked (schema, cross-field checks, and with --rtl what the RTL,
// the compiler and `gen-rtl run` need) BEFORE any point runs, so that a bad value stops the sweep
// with one message that names the parameter and the value, and nothing is computed or written.
//
// PATH is a dotted path into the spec's JSON (chip.bus.bits, workload.attention_mapping,
// bandwidth_gib_per_s.banks, …); a missing object on the way is created (an optional block such as
// bandwidth_gib_per_s), and a model preset name is expanded to its dimensions when a path goes
// into `model` (model.num_hidden_layers=1,2 on "llama-7b"). Values are numbers when they read as
// numbers, true/false as booleans, anything else a string. Points are ordered with the first
// --vary varying slowest (as nested loops in the order given).
import { UserError } from "../errors.js";
import { parseSpec, type LoadedSpec } from "../spec/load.js";
import { MODEL_PRESETS, type ModelPresetName } from "../spec/models.js";

export type VaryValue = number | string | boolean;

export interface Vary {
  /** The dotted path as given. */
  path: string;
  keys: string[];
  values: VaryValue[];
}

/** One point of the grid: its values (path → value, in --vary order) and its spec object. */
export interface GridPoint {
  index: number;
  values: Record<string, VaryValue>;
  data: unknown;
}

export interface CheckedPoint extends GridPoint {
  loaded: LoadedSpec;
}

/** Beyond this many points a sweep is refused (the model takes about a millisecond a point). */
export const MAX_POINTS = 100_000;

const KEY = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

export function parseValue(text: string): VaryValue {
  if (NUMBER.test(text)) return Number(text);
  if (text === "true") return true;
  if (text === "false") return false;
  return text;
}

/** Parses one --vary option. */
export function parseVary(arg: string): Vary {
  const eq = arg.indexOf("=");
  if (eq < 0) throw new UserError(`--vary ${arg}: expected PATH=V1,V2,… (e.g. --vary chip.bus.bits=64,128,256)`);
  const path = arg.slice(0, eq).trim();
  const keys = path.split(".");
  if (path === "" || !keys.every((k) => KEY.test(k))) {
    throw new UserError(`--vary ${arg}: "${path}" is not a dotted path into the spec (e.g. chip.bank.mac_lanes)`);
  }
  const texts = arg.slice(eq + 1).split(",").map((v) => v.trim());
  if (texts.some((t) => t === "")) throw new UserError(`--vary ${arg}: an empty value; expected ${path}=V1,V2,… with no empty entries`);
  const values = texts.map(parseValue);
  const seen = new Set<string>();
  for (const v of values) {
    const k = JSON.stringify(v);
    if (seen.has(k)) throw new UserError(`--vary ${arg}: ${path}=${String(v)} is given twice`);
    seen.add(k);
  }
  return { path, keys, values };
}

/** Parses every --vary option and checks that no path is given twice or inside another. */
export function parseVaries(args: readonly string[]): Vary[] {
  if (args.length === 0) throw new UserError("sweep: give at least one --vary PATH=V1,V2,… (e.g. --vary chip.bus.bits=64,128,256)");
  const varies = args.map(parseVary);
  for (const [i, a] of varies.entries()) {
    for (const b of varies.slice(i + 1)) {
      if (a.path === b.path) throw new UserError(`--vary ${a.path} is given twice; list all its values in one option: ${a.path}=V1,V2,…`);
      const [short, long] = a.keys.length < b.keys.length ? [a, b] : [b, a];
      if (short.keys.every((k, j) => long.keys[j] === k)) throw new UserError(`--vary ${long.path} lies inside --vary ${short.path}: vary one or the other`);
    }
  }
  const points = varies.reduce((n, v) => n * v.values.length, 1);
  if (points > MAX_POINTS) throw new UserError(`sweep: ${points} grid points; at most ${MAX_POINTS}`);
  return varies;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function isPreset(name: string): name is ModelPresetName {
  return Object.prototype.hasOwnProperty.call(MODEL_PRESETS, name);
}

/** `data` (a copy) with the value at `keys` set. */
export function setPath(data: unknown, keys: readonly string[], value: VaryValue, path: string): unknown {
  const root: unknown = structuredClone(data);
  if (!isObject(root)) throw new UserError(`--vary ${path}: the spec is not a JSON object`);
  let node: Record<string, unknown> = root;
  keys.forEach((key, i) => {
    if (i === keys.length - 1) {
      node[key] = value;
      return;
    }
    let next = node[key];
    if (next === undefined) next = node[key] = {};
    if (i === 0 && key === "model" && typeof next === "string" && isPreset(next)) next = node[key] = { ...MODEL_PRESETS[next] };
    if (!isObject(next)) {
      const where = keys.slice(0, i + 1).join(".");
      throw new UserError(`--vary ${path}: ${where} is ${JSON.stringify(next)} in the spec, not an object`);
    }
    node = next;
  });
  return root;
}

/** Every combination of the values, first --vary slowest, applied to `base`. */
export function gridPoints(base: unknown, varies: readonly Vary[]): GridPoint[] {
  const out: GridPoint[] = [];
  const walk = (i: number, data: unknown, values: Record<string, VaryValue>): void => {
    if (i === varies.length) {
      out.push({ index: out.length, values, data });
      return;
    }
    const v = varies[i]!;
    for (const value of v.values) walk(i + 1, setPath(data, v.keys, value, v.path), { ...values, [v.path]: value });
  };
  walk(0, base, {});
  return out;
}

/** "chip.bus.bits=64, chip.bank.mac_lanes=16" */
export function pointLabel(values: Record<string, VaryValue>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(", ");
}

/** At most this many invalid points are listed in the error. */
const LISTED = 8;

/**
 * Checks every point (parseSpec: schema, cross-field checks, with `rtl` the RTL generator's
 * limits) and then `extra` (e.g. what `gen-rtl run` needs); throws one UserError listing the
 * invalid points (each with its values and the spec's message) when any is, before anything runs.
 */
export function checkPoints(points: readonly GridPoint[], file: string, rtl: boolean, extra?: (loaded: LoadedSpec) => void): CheckedPoint[] {
  const ok: CheckedPoint[] = [];
  const bad: string[] = [];
  for (const p of points) {
    const label = pointLabel(p.values);
    try {
      const loaded = parseSpec(p.data, `${file} with ${label}`, { rtl });
      extra?.(loaded);
      ok.push({ ...p, loaded });
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      const why = e.message.replace(/^invalid spec [^\n]*:\n\s*/, "").replace(/\n\s*/g, "; ");
      bad.push(`point ${p.index} (${label}): ${why}`);
    }
  }
  if (bad.length > 0) {
    const listed = bad.slice(0, LISTED).map((b) => `  ${b}`);
    if (bad.length > LISTED) listed.push(`  … and ${bad.length - LISTED} more`);
    throw new UserError(`sweep: ${bad.length} of ${points.length} grid points are invalid; nothing was run:\n${listed.join("\n")}`);
  }
  return ok;
}
