// The progress line of `gen-rtl run` on stderr. On a terminal: one line rewritten in place (\r,
// clear to end of line) with every update — per-step counters included — and the seconds spent in
// the current phase ticking once a second (a cold Verilator build takes a minute or two); cleared
// when the run ends. Otherwise (a pipe, a log file, CI): one plain line per phase, so logs stay short.

export interface ProgressLine {
  update(phase: string, detail?: string): void;
  /** Stops the ticker and clears the line (terminal) — call it before printing results. */
  done(): void;
}

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export function progressLine(stream: ProgressStream, prefix: string): ProgressLine {
  const tty = stream.isTTY === true;
  let phase = "";
  let detail = "";
  let since = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const text = (): string => {
    const secs = Math.floor((Date.now() - since) / 1000);
    return `${prefix}: ${phase}${detail ? `: ${detail}` : ""}${secs >= 2 ? ` (${secs} s)` : ""}`;
  };
  const render = (): void => {
    const width = Math.max(20, (stream.columns || 100) - 1);
    const line = text();
    stream.write(`\r\x1b[K${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
  };
  return {
    update(p, d = "") {
      const changed = p !== phase;
      if (changed) since = Date.now();
      phase = p;
      detail = d;
      if (tty) {
        render();
        timer ??= setInterval(render, 1000);
        timer.unref();
      } else if (changed) {
        stream.write(`${text()}\n`);
      }
    },
    done() {
      if (timer) clearInterval(timer);
      timer = undefined;
      if (tty && phase !== "") stream.write("\r\x1b[K");
    },
  };
}
