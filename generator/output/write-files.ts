// Writing a few files into a folder that may hold other things (rtl-out/<name>/sweep/, a report
// next to the generated tree): every file is written in full to a temporary name beside its target
// first, and only when all are written are they renamed into place (a rename replaces the old file
// at once). An error leaves the previous files, never a half-written one. Unlike
// writeTreeAtomically the folder itself is never replaced: a user's --out-dir keeps its other files.
import { randomBytes } from "node:crypto";
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

/** Writes name → text into `dir` (created if missing); returns the paths written. */
export function writeFilesAtomically(dir: string, files: ReadonlyMap<string, string>): string[] {
  const root = resolve(dir);
  mkdirSync(root, { recursive: true });
  const tag = `${process.pid}-${randomBytes(4).toString("hex")}`;
  const staged: [string, string][] = [];
  try {
    for (const [name, text] of files) {
      if (name !== basename(name) || name.startsWith(".")) throw new Error(`writeFilesAtomically: bad file name ${name}`);
      const target = join(root, name);
      const tmp = join(dirname(target), `.${name}.tmp-${tag}`);
      staged.push([tmp, target]);
      writeFileSync(tmp, text);
    }
    for (const [tmp, target] of staged) renameSync(tmp, target);
  } catch (e) {
    for (const [tmp] of staged) rmSync(tmp, { force: true });
    throw e;
  }
  return staged.map(([, target]) => target);
}
