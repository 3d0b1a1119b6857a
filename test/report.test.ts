// `gen-rtl report` (generator/report/html.ts, charts/, templates/report/): the HTML's content and
// self-containment, its charts' data against the seed's printed table and hand calculations, the
// result files it picks up (sim.json, synth/*.json, sweep/), and byte-for-byte determinism.
// test/report-browser.test.ts opens it in Chromium.
import { execa } from "execa";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runModel } from "../generator/model/index.js";
import { breakdownRows } from "../generator/report/charts/breakdown.js";
import { renderSvg } from "../generator/report/charts/render.js";
import { roofline } from "../generator/report/charts/roofline.js";
import { buildReport } from "../generator/report/html.js";
import { loadSpec } from "../generator/spec/load.js";
import { ATTENTION_MAPPINGS } from "../generator/spec/schema.js";
import { prepareSweep, runSweep, sweepFiles } from "../generator/sweep/index.js";
import { writeFilesAtomically } from "../generator/output/write-files.js";
import { SIM_FIXTURE, SYNTH_FIXTURE } from "./report-fixtures.js";

const BIN = join(process.cwd(), "bin", "gen-rtl.js");

/** A results folder with sim.json, synth/ice40.json and a sweep of tiny over two bus widths. */
async function resultsFolder(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "pim-gen-report-"));
  writeFileSync(join(dir, "sim.json"), JSON.stringify(SIM_FIXTURE));
  mkdirSync(join(dir, "synth"));
  writeFileSync(join(dir, "synth", "ice40.json"), JSON.stringify(SYNTH_FIXTURE));
  // A tool's own report beside the results: not a synth result, not listed as skipped.
  writeFileSync(join(dir, "synth", "nextpnr-report.json"), JSON.stringify({ utilization: {}, fmax: {} }));
  const sweep = await runSweep(prepareSweep("specs/tiny.json", ["chip.bus.bits=32,64,128"], null), { metric: "tokens_per_s", mapping: "spec" });
  writeFilesAtomically(join(dir, "sweep"), await sweepFiles(sweep));
  return dir;
}

function section(html: string, id: string): string {
  const start = html.indexOf(`<h2 id="${id}">`);
  const end = html.indexOf("<h2 ", start + 1);
  return html.slice(start, end < 0 ? undefined : end);
}

describe("the report's charts: data", () => {
  it("the decode breakdown holds the seed's 3.1.5 cells for its chip, the model's and the seed's bars side by side", () => {
    const aim = loadSpec("specs/aim-llama7b.json");
    const rows = breakdownRows(runModel(aim, { mappings: ATTENTION_MAPPINGS }));
    const cell = (bar: string, part: string) => rows.find((r) => r.bar === bar && r.part === part)!.seconds;
    const sig = (x: number, n: number) => Number(x.toPrecision(n));
    for (const m of ATTENTION_MAPPINGS) {
      const bar = `${m} (model)`;
      expect(sig(cell(bar, "intra-bank weights"), 2)).toBe(7.5e-4);
      expect(sig(cell(bar, "controller-bank weights (bytes)"), 3)).toBe(4.61e-6);
      expect(sig(cell(bar, "intra-controller weights"), 3)).toBe(5.87e-6);
      // 450 transfers × λ = 1e-4 s.
      expect(cell(bar, "λ × weight transfers")).toBeCloseTo(450 * 1e-4, 12);
    }
    expect(sig(cell("bank_per_head (model)", "intra-bank KV"), 2)).toBe(4.9e-4);
    expect(sig(cell("bank_per_head (model)", "controller-bank KV (bytes)"), 3)).toBe(1.91e-6);
    expect(cell("bank_per_head (model)", "λ × KV transfers")).toBeCloseTo(64 * 1e-4, 12);
    expect(sig(cell("banks_per_head (model)", "intra-bank KV"), 2)).toBe(1.2e-4);
    // The seed's bars are its printed cells: 192 KV transfers (its slip; the model counts 128).
    expect(cell("banks_per_head (seed, printed)", "λ × KV transfers")).toBeCloseTo(192 * 1e-4, 12);
    expect(cell("banks_per_head (model)", "λ × KV transfers")).toBeCloseTo(128 * 1e-4, 12);
    expect(cell("banks_per_head (seed, printed)", "intra-controller KV")).toBe(3.05e-6);
    expect(cell("bank_per_head (seed, printed)", "intra-bank KV")).toBe(4.9e-4);
    // Not the seed's configuration: the model's bars only.
    const tiny = breakdownRows(runModel(loadSpec("specs/tiny.json"), { mappings: ATTENTION_MAPPINGS }));
    expect(new Set(tiny.map((r) => r.bar))).toEqual(new Set(["bank_per_head (model)", "banks_per_head (model)"]));
    // README results: 3.564e-5 and 3.004e-5 s a token on tiny.
    const total = (bar: string) => tiny.filter((r) => r.bar === bar).reduce((s, r) => s + r.seconds, 0);
    expect(total("bank_per_head (model)")).toBeCloseTo(3.564e-5, 12);
    expect(total("banks_per_head (model)")).toBeCloseTo(3.004e-5, 12);
  });

  it("the roofline: tiny's peak, bandwidth and ridge by hand; every operating point under the roof", () => {
    const rf = roofline(runModel(loadSpec("specs/tiny.json"), { mappings: ATTENTION_MAPPINGS }));
    // 8 banks × 8 MAC lanes × 100 MHz × 2 ops; 8 banks × 32 bits / 8 × 100 MHz.
    expect(rf.peak_ops_per_s).toBe(8 * 8 * 100e6 * 2);
    expect(rf.bandwidth_bytes_per_s).toBe(8 * 4 * 100e6);
    expect(rf.ridge).toBe(4);
    expect(rf.points).toHaveLength(8);
    for (const p of rf.points) expect(p.performance).toBeLessThanOrEqual(Math.min(rf.peak_ops_per_s, rf.bandwidth_bytes_per_s * p.intensity) * (1 + 1e-12));
    // Prefill's weight GEMM: a byte holds two 4-bit weights, each read once for a tile of 4 tokens
    // (prefill_batch), 2 ops a MAC: 2 × 4 × 2 = 16 ops per byte (16 prompt tokens: 4 whole tiles).
    for (const p of rf.points.filter((x) => x.name.startsWith("prefill"))) expect(p.intensity).toBe(16);
  });
});

describe("chart rendering", () => {
  it("a chart spec Vega-Lite warns about is an error, not a silently wrong picture", async () => {
    await expect(renderSvg({ title: "t", data: { values: [{ a: 1 }] }, mark: "bar", encoding: { x: { field: "a", type: "quantitative" }, shape: { field: "a", type: "nominal" } } })).rejects.toThrow(
      /chart "t": WARN shape dropped as it is incompatible with "bar"/,
    );
  });
});

describe("the report's HTML", () => {
  it("is self-contained and holds every section, with the sim, synth and sweep results it found", async () => {
    const results = await resultsFolder();
    const { html, included } = await buildReport(loadSpec("specs/tiny.json"), { results });
    expect(included).toEqual(["model", "breakdown", "roofline", "seed 50 tokens/s", "sim", "synth (ice40)", "sweep"]);
    expect(html).not.toContain('<h2 id="skipped">');
    // Nothing is fetched when it is opened: no script, no link, no external resource.
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\bsrc=|href=|url\(|@import/i);
    for (const m of html.matchAll(/https?:\/\/[^\s"'<>)]+/g)) expect(m[0]).toMatch(/^http:\/\/www\.w3\.org\//);
    expect(html.match(/<svg /g)).toHaveLength(5);
    // The roofline by hand (see above); the decode table's figures are README's results for tiny.
    const roof = section(html, "roofline");
    expect(roof).toContain("peak MAC compute = 12.8 Gops/s");
    expect(roof).toContain("bank bandwidth BM = 3.2 GB/s");
    expect(roof).toContain("bends at 4 ops per byte");
    const decode = section(html, "decode");
    expect(decode).toContain("28058"); // tokens/s, bank per head
    expect(decode).toContain("33289"); // banks per head
    const breakdown = section(html, "breakdown");
    for (const label of ["intra-bank weights", "intra-bank KV", "λ × KV transfers", "intra-controller KV", "bank_per_head (model)", "banks_per_head (model)"]) expect(breakdown).toContain(label);
    // The sim fixture: 3 passed, 1 failed; 2 of the 3 timed checks exact; (130 − 120) / 120 = 8.33 %.
    const sim = section(html, "sim");
    expect(sim).toContain("3 checks passed, 1 failed; 2 of the 3 timed operations took exactly the cycles the model predicts");
    expect(sim).toContain("8.33 %");
    for (const label of ["cycles predicted by the cycle model", "cycles measured in Verilator", "bank", "chip", "ctrl"]) expect(sim).toContain(label);
    const synth = section(html, "synth");
    // 4321 of the UP5K's 5280 LUTs: 81.8 %.
    for (const s of ["ice40 (up5k)", "4,321 of 5,280 (81.8 %)", "12 of 30 (40.0 %)", "31.5 MHz", "<td>tiny_bank</td><td class=\"n\">8</td>", "1,000"]) expect(synth).toContain(s);
    const sweep = section(html, "sweep");
    expect(sweep).toContain("3 points, metric tokens_per_s");
    expect(sweep).toContain("decode tokens/s vs chip.bus.bits");
    expect(section(html, "spec")).toContain("&quot;name&quot;: &quot;tiny&quot;");
    // Same inputs, same bytes.
    expect((await buildReport(loadSpec("specs/tiny.json"), { results })).html).toBe(html);
  });

  it("shows the seed's 50 tokens/s demand, met where the seed's arithmetic holds and not where 4-bit weights break it", async () => {
    const empty = mkdtempSync(join(tmpdir(), "pim-gen-report-empty-"));
    const { html, included } = await buildReport(loadSpec("specs/aim-llama7b.json"), { results: empty });
    expect(included).toEqual(["model", "breakdown", "roofline", "seed 50 tokens/s"]);
    expect(html.match(/<svg /g)).toHaveLength(3);
    const demand = section(html, "demand");
    // 1 / (514λ + 1.25e-3 s) at λ = 1e-4 s: 18.99 tokens/s.
    const seedChip = /<tr><td>the seed&#x27;s chip<\/td><td>bank_per_head<\/td>(?:<td class="n">[^<]*<\/td>){6}<td class="n">([\d.]+)<\/td>/.exec(demand);
    expect(Number(seedChip?.[1]).toPrecision(3)).toBe((1 / (514e-4 + 1.25e-3)).toPrecision(3));
    expect(demand).toContain("192 points");
    expect(demand).toContain("erratum 5");
    expect(demand).toMatch(/<td>yes<\/td>/);
    expect(demand).toMatch(/<td>NO<\/td>/);
    // Sizing, seed 3.3: CRAM 256 KB (32 heads × 16K × ½ byte), CMEM 128 MB minimum (16K² × ½ byte).
    expect(demand).toContain("256 KiB");
    expect(demand).toContain("128 MiB");
    expect(section(html, "seed")).toContain("7.5e-4");
    expect(section(html, "sim")).toContain("No simulation results");
    expect(section(html, "synth")).toContain("No synthesis results");
    expect(section(html, "sweep")).toContain("No sweep");
  });

  it("gen-rtl report writes the file; a result file it cannot read is named, not fatal", async () => {
    const results = mkdtempSync(join(tmpdir(), "pim-gen-report-bad-"));
    writeFileSync(join(results, "sim.json"), JSON.stringify({ spec: "tiny", tests: "none" }));
    const out = join(results, "out", "r.html");
    const r = await execa("node", [BIN, "report", "specs/tiny.json", "--out", out, "--results", results], { reject: false });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`wrote ${out}`);
    const html = readFileSync(out, "utf8");
    expect(section(html, "skipped")).toContain(join(results, "sim.json"));
    expect(section(html, "sim")).toContain("No simulation results");
    const bad = await execa("node", [BIN, "report", "specs/nope.json"], { reject: false });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/cannot read spec specs\/nope\.json/);
  });
});
