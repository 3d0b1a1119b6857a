// Writing a generated tree atomically: files go to a temporary sibling folder, which replaces the
// target only once every file is written. A failed run leaves the previous tree (or none), never a
// half-written one.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

/** Relative path → file contents. Paths use "/" and never leave the tree. */
export type FileTree = ReadonlyMap<string, string>;

/**
 * Replaces `target` with `files`. Entries named in `keep` (top-level names: results other commands
 * wrote into the tree, such as sim.json or synth/) are carried over from the old tree unless the new
 * one has them.
 */
export function writeTreeAtomically(target: string, files: FileTree, keep: readonly string[] = []): void {
  const dest = resolve(target);
  const parent = dirname(dest);
  mkdirSync(parent, { recursive: true });
  // mkdirSync (not mkdtempSync, whose folders are private): the tree gets the user's umask.
  const tmp = join(parent, `.${basename(dest)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  mkdirSync(tmp);
  const carried: string[] = [];
  try {
    for (const [rel, text] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (rel.startsWith("/") || rel.split("/").includes("..")) throw new Error(`writeTreeAtomically: bad path ${rel}`);
      const file = join(tmp, rel);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
    }
    const top = new Set([...files.keys()].map((rel) => rel.split("/")[0]));
    for (const name of keep) {
      if (name !== basename(name) || top.has(name) || !existsSync(join(dest, name))) continue;
      renameSync(join(dest, name), join(tmp, name));
      carried.push(name);
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
    // The carried-over results go back where they were before the temporary tree is removed.
    for (const name of carried) if (existsSync(join(tmp, name))) renameSync(join(tmp, name), join(dest, name));
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
