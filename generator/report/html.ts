// `gen-rtl report spec.json`: one self-contained HTML file — inline CSS, charts as inline SVG drawn
// by Vega-Lite in Node when the report is written (charts/*.ts: one chart spec builder each;
// charts/render.ts), no script and nothing fetched when it is opened. All computation is here and
// in the chart builders; templates/report/report.html.hbs only places text, loops and conditionals.
// Sections: the decode model per mapping, its breakdown (the seed's 3.1.5 table as stacked bars),
// the banks' roofline with the decode and prefill operating points, the comparison with the seed's
// figures (its configuration only), the seed's 50 tokens/s demand (3.3) reproduced by a sweep and
// this chip's own answer to it, the latest `gen-rtl sim` (model vs measured cycles), `gen-rtl synth`
// resources and `gen-rtl sweep` chart when present (html-inputs.ts), and the spec itself.
// Same spec and same result files → the same bytes.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Handlebars from "handlebars";
import { withChipPrediction } from "../compiler/predict.js";
import { isAvailable, runModel, type ModelResult } from "../model/index.js";
import { json } from "../output/generate.js";
import { templatesDir } from "../paths.js";
import { ATTENTION_MAPPINGS } from "../spec/schema.js";
import type { LoadedSpec } from "../spec/load.js";
import { SEED_DEMAND_ROWS, seedDemand } from "../sweep/seed-demand.js";
import { breakdownChart, breakdownRows } from "./charts/breakdown.js";
import { renderSvg } from "./charts/render.js";
import { roofline, rooflineChart, si } from "./charts/roofline.js";
import { seedDemandChart } from "./charts/seed-demand.js";
import { simScatterChart } from "./charts/sim-scatter.js";
import { bytes, grouped, sci } from "./format.js";
import { readReportInputs } from "./html-inputs.js";

/** The seed's 3.3 target, asked of every spec. */
export const TARGET_TOKENS_PER_S = 50;

export interface ReportOptions {
  /** Where sim.json, synth/ and sweep/ are looked for (rtl-out/<name> by default). */
  results: string;
}

export interface Report {
  html: string;
  /** What the report holds, for the CLI's message. */
  included: string[];
}

const num = (x: number): string => (x === 0 ? "0" : Math.abs(x) >= 1e5 || Math.abs(x) < 1e-2 ? sci(x, 4) : String(+x.toPrecision(5)));

interface SummaryRow {
  mapping: string;
  unavailable: string | null;
  tokens_per_s?: string;
  without_lambda?: string;
  s_per_token?: string;
  lambda?: string;
  cycles?: string;
  chip_cycles?: string;
  prefill?: string;
  energy?: string;
  bound?: string;
}

function summaryRows(r: ModelResult): SummaryRow[] {
  return ATTENTION_MAPPINGS.flatMap((mapping): SummaryRow[] => {
    const m = r.mappings[mapping];
    if (!m) return [];
    if (!isAvailable(m)) return [{ mapping, unavailable: m.unavailable }];
    const chip = r.chip?.[mapping];
    return [
      {
        mapping,
        unavailable: null,
        tokens_per_s: num(m.tokens_per_s),
        without_lambda: num(m.tokens_per_s_without_lambda),
        s_per_token: sci(m.decode.total.time, 4),
        lambda: `${m.decode.total.transfers} transfers × λ = ${sci(m.decode.total.lambda, 3)} s`,
        cycles: grouped(Math.round(m.decode_cycles.total.time)),
        chip_cycles: chip === undefined ? "—" : "unavailable" in chip ? `— (${chip.unavailable})` : grouped(chip.cycles_per_token),
        prefill: `${sci(m.prefill.total, 3)} s (${m.prefill.prompt_len} tokens)`,
        energy: m.energy ? `${num(m.energy.uj.total)} µJ` : "—",
        bound: m.decode.intra_bank.weights.bound,
      },
    ];
  });
}

function inverseRows(r: ModelResult) {
  return ATTENTION_MAPPINGS.flatMap((mapping) => {
    const m = r.mappings[mapping];
    if (!isAvailable(m) || !m.inverse) return [];
    const inv = m.inverse;
    const req = inv.with_lambda;
    const w = inv.without_lambda;
    return [
      {
        mapping,
        text: req
          ? `reachable: every rate × ${num(req.scale)} — BM ${num(req.banks_gib_per_s)} GiB/s, CBM ${num(req.controller_bank_gib_per_s)} GiB/s, CM ${num(req.controller_gib_per_s)} GiB/s`
          : `not reachable at λ = ${sci(inv.lambda_s, 3)} s: ${inv.transfers} transfers × λ alone take ${sci(inv.transfers * inv.lambda_s, 3)} s of the ${sci(inv.budget_s, 3)} s budget (λ ≤ ${sci(inv.max_lambda_s, 3)} s would do)`,
        without: `with λ → 0: every rate × ${num(w.scale)} — BM ${num(w.banks_gib_per_s)} GiB/s, CBM ${num(w.controller_bank_gib_per_s)} GiB/s, CM ${num(w.controller_gib_per_s)} GiB/s`,
      },
    ];
  });
}

function seedRows(r: ModelResult) {
  return r.seed.rows.map((row) => ({
    key: row.key,
    mapping: row.mapping ?? "",
    seed: row.seed,
    ours: num(row.ours),
    status: row.status,
    why: row.why ?? "",
  }));
}

let template: HandlebarsTemplateDelegate | undefined;

function render(view: object): string {
  if (!template) {
    const hbs = Handlebars.create();
    template = hbs.compile(readFileSync(join(templatesDir(), "report", "report.html.hbs"), "utf8"), { strict: true });
  }
  return template(view);
}

export async function buildReport(loaded: LoadedSpec, opts: ReportOptions): Promise<Report> {
  const result = withChipPrediction(runModel(loaded, { mappings: ATTENTION_MAPPINGS, targetTokensPerS: TARGET_TOKENS_PER_S }), loaded);
  const d = loaded.derived;
  const name = loaded.spec.name;
  const inputs = readReportInputs(opts.results, name);
  const included = ["model", "breakdown", "roofline", "seed 50 tokens/s"];

  const breakdown = breakdownRows(result);
  const rf = roofline(result);
  const demand = seedDemand();

  const simChecks = (inputs.sim?.tests ?? []).flatMap((t) => (t.cycles ? [{ name: t.name, passed: t.passed, measured: t.cycles.measured, model: t.cycles.model }] : []));
  const sim = inputs.sim
    ? {
        seed: inputs.sim.seed,
        passed: inputs.sim.passed,
        failed: inputs.sim.failed,
        pattern: inputs.sim.test_pattern ?? null,
        timed: simChecks.length,
        exact: simChecks.filter((c) => c.measured === c.model).length,
        svg: simChecks.length > 0 ? await renderSvg(simScatterChart(simChecks, name, inputs.sim.seed)) : null,
        rows: inputs.sim.tests.map((t) => ({
          name: t.name,
          result: t.passed ? "pass" : "FAIL",
          measured: t.cycles ? grouped(t.cycles.measured) : "",
          model: t.cycles ? grouped(t.cycles.model) : "",
          diff: t.cycles ? (t.cycles.model === 0 ? "" : `${(((t.cycles.measured - t.cycles.model) / t.cycles.model) * 100).toFixed(2)} %`) : "",
          detail: t.detail ?? "",
        })),
      }
    : null;
  if (sim) included.push("sim");
  if (inputs.synth.length > 0) included.push(`synth (${inputs.synth.map((s) => s.target).join(", ")})`);
  if (inputs.sweep) included.push("sweep");

  const fmtRes = (x: number | null): string => (x === null ? "—" : grouped(x));
  const used = (n: number, of: number | null): string => (of === null || of === 0 ? grouped(n) : `${grouped(n)} of ${grouped(of)} (${((100 * n) / of).toFixed(1)} %)`);
  const view = {
    name,
    file: loaded.file,
    chip: `${loaded.spec.chip.dies} die(s) × ${loaded.spec.chip.banks_per_die} banks = ${d.banks} banks, ${loaded.spec.chip.bank.mac_lanes} MAC lanes a bank, ${loaded.spec.clock_mhz} MHz`,
    model: `${d.model.preset === "custom" ? "custom model" : d.model.preset}: H ${d.model.hidden_size}, MLP ${d.model.intermediate_size}, ${d.model.num_hidden_layers} layers, ${d.model.num_attention_heads} heads (${d.model.num_key_value_heads} KV), vocabulary ${d.model.vocab_size}; context ${loaded.spec.workload.context_len}, prompt ${loaded.spec.workload.prompt_len}; the spec's mapping: ${d.mapping}`,
    rates: `BM ${si(d.bandwidth.banks.bytes_per_s)}B/s, CBM ${si(d.bandwidth.controller_bank.bytes_per_s)}B/s, CM ${si(d.bandwidth.controller.bytes_per_s)}B/s, λ = ${d.lambda.cycles} cycles = ${sci(d.lambda.s, 3)} s`,
    summary: summaryRows(result),
    breakdownSvg: await renderSvg(breakdownChart(breakdown, name)),
    seedBars: result.seed.applies,
    roofline: {
      svg: await renderSvg(rooflineChart(rf, name)),
      peak: `${si(rf.peak_ops_per_s)}ops/s`,
      bandwidth: `${si(rf.bandwidth_bytes_per_s)}B/s`,
      ridge: num(rf.ridge),
      points: rf.points.map((p) => ({
        name: p.name,
        intensity: num(p.intensity),
        performance: `${si(p.performance)}ops/s`,
        of_roof: `${((100 * p.performance) / Math.min(rf.peak_ops_per_s, rf.bandwidth_bytes_per_s * p.intensity)).toFixed(1)} %`,
      })),
    },
    seed: { applies: result.seed.applies, reason: result.seed.reason ?? "", rows: seedRows(result) },
    demand: {
      svg: await renderSvg(seedDemandChart(demand.rows)),
      command: demand.command,
      points: demand.points,
      reach: demand.reaching_50.reach,
      of: demand.reaching_50.of,
      configs: SEED_DEMAND_ROWS.map((c) => ({ short: c.short, name: c.name, note: c.note })),
      rows: demand.rows.map((r) => ({
        short: r.short,
        mapping: r.mapping,
        lambda: String(r.values["lambda_s"]),
        bm: String(r.values["bandwidth_gib_per_s.banks"]),
        cbm: String(r.values["bandwidth_gib_per_s.controller_bank"]),
        cm: String(r.values["bandwidth_gib_per_s.controller"]),
        bank_gops: grouped(r.bank_gops),
        controller_gops: grouped(r.controller_gops),
        decode: num(r.decode_tokens_per_s),
        decode_claim: r.decode_claim,
        decode_ok: r.decode_ok === null ? "" : r.decode_ok ? "yes" : "NO",
        prefill: num(r.prefill_tokens_per_s),
        prefill_claim: r.prefill_claim ?? "",
        prefill_ok: r.prefill_ok === null ? "" : r.prefill_ok ? "yes" : "NO",
      })),
      inverse: inverseRows(result),
      sizing: demand.sizing.map((z) => ({ what: z.what, seed: z.seed, ours: bytes(z.bytes) })),
      own: `${bytes(result.sizing.cram.need_bytes)} / ${bytes(result.sizing.cmem.need_bytes)} / ${bytes(result.sizing.bram.need_bytes)}`,
    },
    sim,
    synth: inputs.synth.map((s) => ({
      file: s.file,
      target: s.target,
      device: s.device,
      lut: used(s.resources.lut, s.capacity.lut),
      ff: used(s.resources.ff, s.capacity.ff),
      bram: used(s.resources.bram, s.capacity.bram),
      dsp: used(s.resources.dsp, s.capacity.dsp),
      fit_message: s.fit_message ?? "",
      fmax: s.fmax_mhz === null ? "—" : `${+s.fmax_mhz.toFixed(2)} MHz`,
      fits: s.fits === null ? "—" : s.fits ? "yes" : "NO",
      modules: s.modules.map((m) => ({ module: m.module, instances: m.instances === null ? "" : String(m.instances), lut: fmtRes(m.lut), ff: fmtRes(m.ff), bram: fmtRes(m.bram), dsp: fmtRes(m.dsp) })),
    })),
    sweep: inputs.sweep,
    skipped: inputs.skipped,
    results: opts.results,
    specJson: json(loaded.spec),
  };
  return { html: render(view), included };
}
