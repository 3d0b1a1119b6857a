// Where the package's own files are: the nearest folder above this file that holds package.json.
// Works from the TypeScript sources (vitest) and from dist/ (the built CLI) alike.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error(`pim-gen: no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** The folder of Handlebars templates (templates/ at the package root). */
export function templatesDir(): string {
  return join(packageRoot(), "templates");
}
