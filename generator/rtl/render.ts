// Rendering Handlebars templates from templates/. Templates hold Verilog (or C++) text with
// {{field}} holes; every value is computed in TypeScript. Strict mode: a missing field is an error,
// never an empty string. No HTML escaping: the output is source code.
import Handlebars from "handlebars";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { templatesDir } from "../paths.js";

type Template = (context: object) => string;

const hbs = Handlebars.create();
const compiled = new Map<string, Template>();

/** Render templates/<rel> (e.g. "rtl/dpram.v.hbs") with `context`. */
export function render(rel: string, context: object): string {
  let t = compiled.get(rel);
  if (!t) {
    const text = readFileSync(join(templatesDir(), rel), "utf8");
    t = hbs.compile(text, { strict: true, noEscape: true });
    compiled.set(rel, t);
  }
  return t(context);
}
