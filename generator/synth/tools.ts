// The external tools of gen-rtl synth (Yosys, nextpnr-ice40, icepack): their versions, and one
// message when one is missing. They run through execa with argument arrays, never a shell.
import { execa, ExecaError } from "execa";
import { UserError } from "../errors.js";

export interface Tool {
  /** The command on PATH. */
  command: string;
  /** The Debian package that provides it. */
  apt: string;
  /** Arguments that print the version. */
  versionArgs: string[];
}

export const YOSYS: Tool = { command: "yosys", apt: "yosys", versionArgs: ["-V"] };
export const NEXTPNR_ICE40: Tool = { command: "nextpnr-ice40", apt: "nextpnr-ice40", versionArgs: ["--version"] };
export const ICEPACK: Tool = { command: "icepack", apt: "fpga-icestorm", versionArgs: ["-h"] };

export function missingToolMessage(t: Tool): string {
  return `${t.command} not found on PATH; install it with \`bash scripts/setup.sh\` (as root) or \`apt-get install -y ${t.apt}\``;
}

export function isMissingTool(e: unknown): boolean {
  return e instanceof ExecaError && (e as ExecaError & { code?: string }).code === "ENOENT";
}

const versions = new Map<string, Promise<string>>();

/** The tool's version line (first line of its version output); a UserError when it is not on PATH. */
export function toolVersion(t: Tool): Promise<string> {
  let p = versions.get(t.command);
  if (!p) {
    p = execa(t.command, t.versionArgs, { reject: false, all: true }).then(
      (r) => {
        if (r.failed && isMissingTool(r)) throw new UserError(missingToolMessage(t));
        const text = (r.all ?? "").trim();
        // icepack has no --version; its help text is stable per package version, hash it in full.
        return t === ICEPACK ? text : (text.split("\n")[0] ?? text);
      },
      (e: unknown) => {
        if (isMissingTool(e)) throw new UserError(missingToolMessage(t));
        throw e;
      },
    );
    p.catch(() => versions.delete(t.command));
    versions.set(t.command, p);
  }
  return p;
}

/** The tool's output of a failed run, last lines, for an error message. */
export function failureTail(e: unknown, lines = 30): string {
  if (e instanceof ExecaError) {
    const parts: unknown[] = [e.stderr, e.stdout];
    const text = parts.filter((s): s is string => typeof s === "string" && s.length > 0).join("\n");
    const all = (text.length > 0 ? text : e.shortMessage).split("\n");
    const errs = all.filter((l) => /error|ERROR/.test(l));
    return (errs.length > 0 ? errs : all).slice(-lines).join("\n");
  }
  return String(e);
}
