// The HTML report in a real browser: Debian's Chromium (/usr/bin/chromium, never a browser download)
// through playwright-core, headless, a new empty profile, every request that is not the report's
// own file refused and recorded. The report of specs/tiny.json with every kind of result present
// (a sim.json, a synth/ice40.json and a sweep, written here by hand or by the sweep) must open with
// no console error, no page error and no request beyond the file; every chart must be drawn: an SVG
// of real size, the expected number of marks (bars, points) for its data, its titles, series and
// labels as text; and the PNG screenshots — the whole page and each chart — must not be blank.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildReport } from "../generator/report/html.js";
import { loadSpec } from "../generator/spec/load.js";
import { prepareSweep, runSweep, sweepFiles } from "../generator/sweep/index.js";
import { writeFilesAtomically } from "../generator/output/write-files.js";
import { SIM_FIXTURE, SYNTH_FIXTURE } from "./report-fixtures.js";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const have = existsSync(CHROMIUM);
if (!have) console.warn(`test/report-browser.test.ts: ${CHROMIUM} not found; skipping (apt-get install -y chromium)`);

interface Pixels {
  width: number;
  height: number;
  /** Share of pixels that are not (near) white. */
  inked: number;
  /** Distinct colours, quantised to 4 bits a channel. */
  colours: number;
}

/** Decodes a PNG in the browser (a canvas) and measures it. */
async function pixels(page: Page, png: Buffer): Promise<Pixels> {
  return page.evaluate(async (b64: string) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const canvas = document.createElement("canvas");
    canvas.width = img.width;
    canvas.height = img.height;
    const ctx = canvas.getContext("2d");
    if (!ctx) throw new Error("no 2d context");
    ctx.drawImage(img, 0, 0);
    const data = ctx.getImageData(0, 0, img.width, img.height).data;
    let inked = 0;
    const colours = new Set<number>();
    for (let i = 0; i < data.length; i += 4) {
      const r = data[i]!;
      const g = data[i + 1]!;
      const b = data[i + 2]!;
      if (r < 240 || g < 240 || b < 240) inked++;
      colours.add(((r >> 4) << 8) | ((g >> 4) << 4) | (b >> 4));
    }
    return { width: img.width, height: img.height, inked: inked / (img.width * img.height), colours: colours.size };
  }, png.toString("base64"));
}

describe.skipIf(!have)("the report in headless Chromium", () => {
  let dir: string;
  let file: string;
  let context: BrowserContext;
  const consoleErrors: string[] = [];
  const external: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "pim-gen-report-browser-"));
    const results = join(dir, "results");
    mkdirSync(join(results, "synth"), { recursive: true });
    writeFileSync(join(results, "sim.json"), JSON.stringify(SIM_FIXTURE));
    writeFileSync(join(results, "synth", "ice40.json"), JSON.stringify(SYNTH_FIXTURE));
    const sweep = await runSweep(prepareSweep("specs/tiny.json", ["chip.bus.bits=32,64,128"], null), { metric: "tokens_per_s", mapping: "spec" });
    writeFilesAtomically(join(results, "sweep"), await sweepFiles(sweep));
    const { html } = await buildReport(loadSpec("specs/tiny.json"), { results });
    file = join(dir, "report.html");
    writeFileSync(file, html);
    context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "pim-gen-chromium-profile-")), {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1200, height: 900 },
    });
    await context.route("**/*", async (route) => {
      const url = route.request().url();
      if (url.startsWith("file:") || url.startsWith("data:")) return route.continue();
      external.push(url);
      return route.abort();
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
  });

  it("opens with no console error and fetches nothing; every chart is drawn with its data and labels; the screenshots are not blank", { timeout: 60_000 }, async () => {
    const page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") consoleErrors.push(`${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => consoleErrors.push(`pageerror: ${e.message}`));
    page.on("requestfailed", (r) => {
      if (!r.url().startsWith("file:")) external.push(r.url());
    });
    const response = await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
    expect(response?.ok()).toBe(true);
    expect(await page.title()).toBe("pim-gen report: tiny");

    // Chart → marks of its data (vega's SVG: one path per bar or point, in g.mark-rect / g.mark-symbol
    // groups of role "mark") and text it must show.
    const charts: { id: string; marks: { selector: string; count: number }[]; text: string[] }[] = [
      {
        id: "chart-breakdown",
        // Two mappings × 8 parts with λ, × 6 parts without.
        marks: [{ selector: "g.mark-rect.role-mark path", count: 2 * 8 + 2 * 6 }],
        text: ["decode latency per token by part", "µs per token", "bank_per_head (model)", "banks_per_head (model)", "intra-bank weights", "intra-bank KV", "λ × weight transfers", "intra-controller KV"],
      },
      {
        id: "chart-roofline",
        // Four operating points a mapping.
        marks: [{ selector: "g.mark-symbol.role-mark path", count: 8 }],
        text: ["roofline of the banks", "peak MAC compute = 12.8 Gops/s", "bank bandwidth BM = 3.2 GB/s", "operational intensity", "decode, banks only (bank_per_head)", "prefill, whole (banks_per_head)"],
      },
      {
        id: "chart-demand",
        // Five configurations × two mappings, in two panels.
        marks: [{ selector: "g.mark-rect.role-mark path", count: 2 * 5 * 2 }],
        text: ["the seed's 50 tokens/s demand", "decode tokens/s", "prefill tokens/s", "the seed's chip", "3.3: CBM 4, banks 512×2 Gops", "bank_per_head", "banks_per_head"],
      },
      {
        id: "chart-sim",
        // The three timed checks.
        marks: [{ selector: "g.mark-symbol.role-mark path", count: 3 }],
        text: ["model vs measured cycles per operation", "cycles predicted by the cycle model", "cycles measured in Verilator", "bank", "chip", "ctrl", "FAIL"],
      },
      {
        id: "chart-sweep",
        // Three bus widths.
        marks: [{ selector: "g.mark-symbol.role-mark path", count: 3 }],
        text: ["decode tokens/s vs chip.bus.bits", "chip.bus.bits", "32", "64", "128"],
      },
    ];
    for (const c of charts) {
      const svg = page.locator(`#${c.id} svg`);
      expect(await svg.count(), c.id).toBe(1);
      const box = await svg.boundingBox();
      expect(box?.width ?? 0, c.id).toBeGreaterThan(300);
      expect(box?.height ?? 0, c.id).toBeGreaterThan(200);
      for (const m of c.marks) {
        const drawn = await svg.locator(m.selector).evaluateAll((els) => els.filter((e) => (e.getAttribute("d") ?? "").length > 0).length);
        expect(drawn, `${c.id} ${m.selector}`).toBe(m.count);
      }
      const text = await svg.evaluate((e) => Array.from(e.querySelectorAll("text"), (t) => t.textContent ?? "").join("\n"));
      for (const t of c.text) expect(text, c.id).toContain(t);
      const shot = await svg.screenshot({ path: join(dir, `${c.id}.png`) });
      const px = await pixels(page, shot);
      expect(px.inked, c.id).toBeGreaterThan(0.02);
      expect(px.colours, c.id).toBeGreaterThan(8);
    }
    const whole = await page.screenshot({ path: join(dir, "report.png"), fullPage: true });
    const px = await pixels(page, whole);
    expect(px.width).toBe(1200);
    expect(px.height).toBeGreaterThan(3000);
    expect(px.inked).toBeGreaterThan(0.05);
    expect(px.colours).toBeGreaterThan(30);
    expect(consoleErrors).toEqual([]);
    expect(external).toEqual([]);
  });
});
