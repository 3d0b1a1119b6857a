// Number formats and plain text tables for terminal reports. Deterministic: same input, same text.
import Table from "cli-table3";

/** Seconds (or any time) in the seed's style: 7.51e-4. */
export function sci(x: number, digits = 3): string {
  if (x === 0) return "0";
  return x.toExponential(digits - 1).replace("e+", "e");
}

export function cycles(x: number): string {
  if (x === 0) return "0";
  if (Math.abs(x) >= 1e7) return sci(x, 4);
  return Number.isInteger(x) ? String(x) : x.toFixed(1);
}

export function percent(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

export function fixed(x: number, digits = 1): string {
  return x.toFixed(digits);
}

export function bytes(n: number): string {
  if (n >= 2 ** 30) return `${+(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${+(n / 2 ** 20).toFixed(2)} MiB`;
  if (n >= 2 ** 10) return `${+(n / 2 ** 10).toFixed(2)} KiB`;
  return `${+n.toFixed(1)} B`;
}

export function grouped(n: number): string {
  return n.toLocaleString("en-US");
}

/** A borderless, left-aligned text table; columns in `right` are right-aligned. */
export function textTable(head: string[], rows: string[][], right: number[] = []): string {
  const t = new Table({
    head,
    chars: {
      top: "", "top-mid": "", "top-left": "", "top-right": "",
      bottom: "", "bottom-mid": "", "bottom-left": "", "bottom-right": "",
      left: "  ", "left-mid": "", mid: "", "mid-mid": "",
      right: "", "right-mid": "", middle: "  ",
    },
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0 },
    colAligns: head.map((_, i) => (right.includes(i) ? "right" : "left")),
  });
  t.push(...rows);
  return t
    .toString()
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n");
}
