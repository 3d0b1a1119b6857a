// Writing a generated tree atomically: files go to a temporary sibling folder, which replaces the
// target only once every file is written. A failed run leaves the previous tree (or none), never a
// half-written one.
import { randomBytes } from "node:crypto";
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

/** Relative path → file contents. Paths use "/" and never leave the tree. */
export type FileTree = ReadonlyMap<string, string>;

export function writeTreeAtomically(target: string, files: FileTree): void {
  const dest = resolve(target);
  const parent = dirname(dest);
  mkdirSync(parent, { recursive: true });
  // mkdirSync (not mkdtempSync, whose folders are private): the tree gets the user's umask.
  const tmp = join(parent, `.${basename(dest)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  mkdirSync(tmp);
  try {
    for (const [rel, text] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (rel.startsWith("/") || rel.split("/").includes("..")) throw new Error(`writeTreeAtomically: bad path ${rel}`);
      const file = join(tmp, rel);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
    }
    const old = `${tmp}-old`;
    let moved = false;
    try {
      renameSync(dest, old);
      moved = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    renameSync(tmp, dest);
    if (moved) rmSync(old, { recursive: true, force: true });
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
