// Reading a spec: file → JSON → schema → cross-field checks → derived parameters.
// Every failure becomes one UserError whose message names the file, the field, the value and
// what was expected.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { UserError } from "../errors.js";
import { checkRtl, checkSpec, type Problem } from "./checks.js";
import { derive, type Derived } from "./derive.js";
import { MODEL_PRESET_NAMES } from "./models.js";
import { specSchema, type Spec } from "./schema.js";

export interface LoadedSpec {
  file: string;
  spec: Spec;
  derived: Derived;
  warnings: Problem[];
  /** What stops the RTL generator (errors when loaded with { rtl: true }). */
  rtlProblems: Problem[];
}

export interface LoadOptions {
  /** Also hold the spec to what the generated RTL needs (gen-rtl <spec>, gen-rtl sim). */
  rtl?: boolean;
}

function pathString(path: readonly PropertyKey[]): string {
  return path.length === 0 ? "(top level)" : path.map((p) => (typeof p === "number" ? `[${p}]` : String(p))).join(".");
}

function show(value: unknown): string {
  if (value === undefined) return "nothing";
  const json = JSON.stringify(value);
  const text = json === undefined ? String(value) : json.length > 60 ? `${json.slice(0, 57)}...` : json;
  const type = Array.isArray(value) ? "array" : value === null ? "null" : typeof value;
  return `${text} (${type})`;
}

/** The keys a strict object accepts at `path`, for "did you mean" hints. */
function keysAt(path: readonly PropertyKey[]): string[] {
  let node: z.ZodType = specSchema;
  for (const key of path) {
    while (node instanceof z.ZodOptional) node = node.unwrap() as z.ZodType;
    if (node instanceof z.ZodUnion) {
      node = (node.options as z.ZodType[]).find((o) => o instanceof z.ZodObject) ?? node;
    }
    if (!(node instanceof z.ZodObject)) return [];
    const next: z.ZodType | undefined = (node.shape as Record<string, z.ZodType>)[String(key)];
    if (!next) return [];
    node = next;
  }
  while (node instanceof z.ZodOptional) node = node.unwrap() as z.ZodType;
  if (node instanceof z.ZodUnion) node = (node.options as z.ZodType[]).find((o) => o instanceof z.ZodObject) ?? node;
  return node instanceof z.ZodObject ? Object.keys(node.shape) : [];
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(up + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}

function unknownKeyMessage(key: string, known: string[]): string {
  const close = known.filter((k) => editDistance(k, key) <= Math.max(2, Math.floor(key.length / 4)));
  const hint = close.length > 0 ? `did you mean "${close[0]}"? ` : "";
  return `unknown key "${key}"; ${hint}expected one of: ${known.join(", ")}`;
}

function expectedType(expected: string): string {
  if (expected === "int") return "an integer";
  if (expected === "object") return "an object";
  if (expected === "array") return "an array";
  return `a ${expected}`;
}

function describeIssue(issue: z.core.$ZodIssue, base: readonly PropertyKey[] = []): string[] {
  const path = [...base, ...issue.path];
  const where = pathString(path);
  switch (issue.code) {
    case "invalid_type":
      return issue.input === undefined
        ? [`${where}: missing; expected ${expectedType(issue.expected)}`]
        : [`${where}: ${show(issue.input)} is not ${expectedType(issue.expected)}`];
    case "too_small":
      return [`${where}: ${show(issue.input)} is too small; expected ${issue.inclusive ? "≥" : ">"} ${issue.minimum}`];
    case "too_big":
      return [`${where}: ${show(issue.input)} is too large; expected ${issue.inclusive ? "≤" : "<"} ${issue.maximum}`];
    case "unrecognized_keys": {
      const known = keysAt(path);
      return issue.keys.map((k) => `${where}: ${unknownKeyMessage(k, known)}`);
    }
    case "invalid_value":
      return [`${where}: ${show(issue.input)} is not one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`];
    case "invalid_format":
      return [`${where}: ${show(issue.input)} ${issue.message}`];
    case "invalid_union": {
      // The only union is `model`: a preset name or an object. Report against the branch that
      // matches what the user wrote.
      if (typeof issue.input === "string") {
        return [`${where}: ${show(issue.input)} is not a known model preset; expected one of ${MODEL_PRESET_NAMES.join(", ")}, or an object with Hugging Face config.json fields`];
      }
      if (issue.input !== null && typeof issue.input === "object" && !Array.isArray(issue.input)) {
        const objectBranch = issue.errors.find((errs) => errs.every((e) => !(e.code === "invalid_type" && e.path.length === 0)));
        if (objectBranch) return objectBranch.flatMap((e) => describeIssue(e, path));
      }
      return [`${where}: ${show(issue.input)} is neither a model preset name nor a model object`];
    }
    default:
      return [`${where}: ${issue.message}`];
  }
}

function jsonErrorLocation(text: string, message: string): string {
  const pos = /position (\d+)/.exec(message);
  if (!pos) return "";
  const offset = Number(pos[1]);
  const before = text.slice(0, offset).split("\n");
  return ` at line ${before.length}, column ${before[before.length - 1]!.length + 1}`;
}

/** Parse and check a spec object. `label` names where it came from, for messages. */
export function parseSpec(data: unknown, label: string, options: LoadOptions = {}): LoadedSpec {
  const parsed = specSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) {
    const lines = parsed.error.issues.flatMap((i) => describeIssue(i));
    throw new UserError(`invalid spec ${label}:\n  ${lines.join("\n  ")}`);
  }
  const derived = derive(parsed.data);
  const { errors, warnings } = checkSpec(parsed.data, derived);
  const rtlProblems = checkRtl(parsed.data, derived);
  if (options.rtl) errors.push(...rtlProblems);
  if (errors.length > 0) {
    throw new UserError(`invalid spec ${label}:\n  ${errors.map((e) => `${e.path}: ${e.message}`).join("\n  ")}`);
  }
  return { file: label, spec: parsed.data, derived, warnings, rtlProblems };
}

export function loadSpec(file: string, options: LoadOptions = {}): LoadedSpec {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a folder" : code ?? String(e);
    throw new UserError(`cannot read spec ${file}: ${why}; pass the path of a spec JSON file, e.g. specs/tiny.json`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    throw new UserError(`spec ${file} is not valid JSON${jsonErrorLocation(text, message)}: ${message}`);
  }
  return parseSpec(data, file, options);
}
