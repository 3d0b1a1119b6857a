#!/usr/bin/env node
// Entry point of the gen-rtl CLI. The TypeScript sources are compiled to dist/ by `npm ci`
// (the package's `prepare` script), so start-up does not pay for a TypeScript loader.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const main = new URL("../dist/generator/cli/main.js", import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write(
    "gen-rtl: error: the compiled CLI is missing (dist/). Run `npm ci` (or `npm run build`) in the pim-gen folder first.\n",
  );
  process.exit(2);
}
const { run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2));
