// `gen-rtl run`'s output: the text tables and the --json object (README "gen-rtl run").
//
// cycles_per_token arrays hold one entry per generating step (the steps whose logits give the N
// generated tokens: the last prompt step and every step after it), aligned with tokens.rtl and
// tokens.golden. "measured" and "model" are a step's decode cycles without host I/O (the seed's
// per-token time has none); *_with_host add the embedding row in and the layer outputs and logits
// out. "model" is the instruction-level cycle model over the same instructions, "analytical" the
// seed's per-token model at L = pos + 1.
import { cycles as fmtCycles, textTable } from "../../generator/report/format.js";
import { describeMismatch } from "./compare.js";
import { COMPONENTS, type Component, type CycleSums, type PartCycles, type StepCycles } from "./cycles.js";
import type { PrefillReport } from "./prefill.js";
import { passed, type RunResult, type StepReport } from "./run.js";

const LABELS: Record<Component, string> = {
  intra_bank_weights: "intra-bank weights",
  intra_bank_kv: "intra-bank KV",
  controller_bank_weights: "controller-bank weights",
  controller_bank_kv: "controller-bank KV",
  intra_controller_weights: "intra-controller weights",
  intra_controller_kv: "intra-controller KV",
  host: "host I/O (not in the seed's model)",
};

const num = (x: number | null): string => (x === null || Number.isNaN(x) ? "—" : fmtCycles(Math.round(x * 10) / 10));

function ratio(measured: number | null, model: number | null): string {
  if (measured === null || model === null || Number.isNaN(measured)) return "";
  if (model === 0) return measured === 0 ? "" : "∞";
  const d = (measured - model) / model;
  return `${d >= 0 ? "+" : ""}${(d * 100).toFixed(1)}%`;
}

function firstMismatchText(r: RunResult): string | null {
  if (r.problems.length > 0) return r.problems[0]!;
  const m = r.mismatches[0];
  return m ? describeMismatch(m) : null;
}

/** The message of a failed run: the first mismatch (step, layer, element) and how many there were. */
export function failureMessage(r: RunResult): string {
  const first = firstMismatchText(r) ?? "no mismatch";
  const more = r.mismatch_count + r.problems.length - 1;
  return `the chip differs from the golden LLaMA: ${first}${more > 0 ? ` (and ${more} more difference(s))` : ""}`;
}

function stepRow(s: StepReport): string[] {
  const c = s.cycles;
  return [
    `${s.step}${s.generates ? "*" : ""}`,
    String(s.pos),
    String(s.token_in),
    s.rtl_token === null ? "—" : String(s.rtl_token),
    String(s.golden_token),
    s.match ? "yes" : "NO",
    num(c.measured?.decode ?? null),
    num(c.model.decode),
    num(c.analytical),
    c.measured ? num(c.measured.whole) : num(c.model.whole),
  ];
}

function partsTable(parts: readonly PartCycles[], measured: CycleSums | null, model: CycleSums, analytical: number): string {
  const rows = parts.map((p) => [LABELS[p.component], num(p.measured), num(p.model), ratio(p.measured, p.model), num(p.analytical), ratio(p.model, p.analytical)]);
  rows.push(["total", num(measured?.whole ?? null), num(model.whole), ratio(measured?.whole ?? null, model.whole), "", ""]);
  rows.push(["total without host I/O", num(measured?.decode ?? null), num(model.decode), ratio(measured?.decode ?? null, model.decode), num(analytical), ratio(model.decode, analytical)]);
  return textTable(["part", "measured", "instruction model", "measured vs instr.", "analytical model", "instr. vs analytical"], rows, [1, 2, 3, 4, 5]);
}

function layersTable(c: StepCycles): string {
  const name = (l: number | null): string => (l === null ? "outside layers" : `layer ${l}`);
  const cell = (p: PartCycles): string => `${num(p.measured)} / ${num(p.model)} / ${num(p.analytical)}`;
  const rows = COMPONENTS.map((comp, i) => [LABELS[comp].replace(/ \(.*\)$/, ""), ...c.layers.map((l) => cell(l.parts[i]!))]);
  rows.push(["total without host I/O", ...c.layers.map((l) => `${num(l.measured?.decode ?? null)} / ${num(l.model.decode)} / ${num(l.analytical)}`)]);
  return textTable(["part", ...c.layers.map((l) => name(l.layer))], rows, c.layers.map((_, i) => i + 1));
}

function prefillText(r: RunResult, pf: PrefillReport): string[] {
  const measuredNote = r.engine === "model" ? " (the model engine measures no cycles)" : "";
  return [
    `Prefill: ${pf.positions.length} prompt tokens in ${pf.tiles.length} tile(s) of at most ${pf.batch} (GEMMs: each weight word read once per tile), cycles${measuredNote}:`,
    textTable(
      ["tile", "positions", "cycles measured", "instruction model", "measured vs instr.", "prefill model", "instr. vs prefill model", "with host I/O"],
      pf.tiles.map((t) => [
        String(t.tile),
        `${t.first}…${t.first + t.tokens - 1}`,
        num(t.measured?.decode ?? null),
        num(t.model.decode),
        ratio(t.measured?.decode ?? null, t.model.decode),
        num(t.analytical),
        ratio(t.model.decode, t.analytical),
        num(t.measured?.whole ?? t.model.whole),
      ]),
      [2, 3, 4, 5, 6, 7],
    ),
    textTable(
      ["part", "measured", "instruction model", "prefill model", "instr. vs prefill model"],
      [
        ...pf.parts.map((p) => [p.part, num(p.measured), num(p.model), num(p.analytical), ratio(p.model, p.analytical)]),
        ["total without host I/O", num(pf.measured?.decode ?? null), num(pf.model.decode), num(pf.analytical), ratio(pf.model.decode, pf.analytical)],
      ],
      [1, 2, 3, 4],
    ),
    `  prompt positions matching the golden LLaMA bit for bit (every layer output and the logits): ${pf.positions.filter((p) => p.match).length} of ${pf.positions.length}`,
    "",
  ];
}

export function runText(r: RunResult): string {
  const last = r.steps[r.steps.length - 1];
  const gen = r.steps.filter((s) => s.generates);
  const lines = [
    `gen-rtl run: ${r.spec} (${r.mapping}, ${r.layers} layer${r.layers === 1 ? "" : "s"}), engine ${r.engine}, seed ${r.seed} (rerun with --seed ${r.seed})`,
    `prompt (${r.prompt.tokens.length} tokens): ${r.prompt.tokens.join(" ")}${r.prompt.note ? `\n  ${r.prompt.note}` : ""}`,
    `generated: chip ${r.tokens.rtl.map((t) => (t === null ? "—" : String(t))).join(" ")}; golden ${r.tokens.golden.join(" ")}`,
    "",
    ...(r.prefill ? prefillText(r, r.prefill) : []),
  ];
  if (last) lines.push(...stepsText(r, last, gen));
  else lines.push(`  load program: ${r.load.instructions} instructions, ${r.load.words} s_data words, ${num(r.load.measured)} cycles measured, ${num(r.load.model)} by the instruction model`);
  if (r.sim) {
    const rate = r.sim.wall_s > 0 ? ` (${(r.sim.cycles / r.sim.wall_s).toExponential(2).replace("e+", "e")} cycles/s)` : "";
    lines.push("", `simulated ${r.sim.cycles} cycles in ${r.sim.wall_s.toFixed(2)} s${rate}; Verilator build ${r.sim.build.cached ? "cached" : `${r.sim.build.seconds.toFixed(0)} s`}`);
  }
  lines.push("");
  if (passed(r)) {
    const what = r.prefill ? `${r.prefill.positions.length} prompt positions in ${r.prefill.tiles.length} prefill tile(s) and ${r.steps.length} decode steps` : `${r.steps.length} steps`;
    lines.push(`every step matches the golden LLaMA bit for bit (${what}: ${r.layers} layer outputs and the logits each, and the tokens)`);
  } else {
    lines.push(`MISMATCH: ${r.mismatch_count} difference(s) from the golden LLaMA${r.problems.length > 0 ? `, ${r.problems.length} host-interface problem(s)` : ""}`);
    for (const p of r.problems) lines.push(`  ${p}`);
    for (const m of r.mismatches.slice(0, 10)) lines.push(`  ${describeMismatch(m)}`);
    if (r.mismatch_count > 10) lines.push(`  ... ${r.mismatch_count - 10} more`);
  }
  return lines.join("\n") + "\n";
}

function stepsText(r: RunResult, last: StepReport, gen: readonly StepReport[]): string[] {
  return [
    textTable(
      ["step", "position", "token in", "chip token", "golden token", "match", "cycles measured", "instruction model", "analytical model", "with host I/O"],
      r.steps.map(stepRow),
      [1, 2, 3, 4, 6, 7, 8, 9],
    ),
    `  * the steps whose logits give the ${gen.length} generated token(s)${r.prefill ? " after the prefill's" : ""}. Token in: the golden model's (teacher forcing). Cycles: the step without host I/O ` +
      `(the seed's per-token time), the instruction-level cycle model over the same instructions, the seed's model at L = position + 1; ` +
      `the last column adds the embedding in and the layer outputs and logits out${r.engine === "model" ? " (instruction model: the model engine measures no cycles)" : ""}.`,
    `  load program: ${r.load.instructions} instructions, ${r.load.words} s_data words, ${num(r.load.measured)} cycles measured, ${num(r.load.model)} by the instruction model`,
    "",
    `Breakdown of the last step (step ${last.step}, position ${last.pos}), cycles:`,
    partsTable(last.cycles.parts, last.cycles.measured, last.cycles.model, last.cycles.analytical),
    "",
    `Per layer (step ${last.step}), measured / instruction model / analytical model (the analytical model's share of a layer: ` +
      `(model with NL layers - model with none) / NL):`,
    layersTable(last.cycles),
  ];
}

const orNull = (x: number | null | undefined): number | null => (x === null || x === undefined || Number.isNaN(x) ? null : x);

function partsJson(parts: readonly PartCycles[]): Record<string, { measured: number | null; model: number; analytical: number | null }> {
  return Object.fromEntries(parts.map((p) => [p.component, { measured: orNull(p.measured), model: p.model, analytical: p.analytical }]));
}

function cyclesJson(c: StepCycles) {
  return {
    measured: c.measured ? { whole: orNull(c.measured.whole), decode: orNull(c.measured.decode) } : null,
    model: c.model,
    analytical: c.analytical,
    parts: partsJson(c.parts),
    layers: c.layers.map((l) => ({
      layer: l.layer,
      measured: l.measured ? { whole: orNull(l.measured.whole), decode: orNull(l.measured.decode) } : null,
      model: l.model,
      analytical: l.analytical,
      parts: partsJson(l.parts),
    })),
  };
}

/** The --json object (README "gen-rtl run"). */
export function runJson(r: RunResult) {
  const gen = r.steps.filter((s) => s.generates);
  const last = r.steps[r.steps.length - 1];
  return {
    spec: r.spec,
    engine: r.engine,
    seed: r.seed,
    mapping: r.mapping,
    match: passed(r),
    tokens: { rtl: r.tokens.rtl, golden: r.tokens.golden },
    cycles_per_token: {
      steps: gen.map((s) => s.step),
      measured: gen.map((s) => orNull(s.cycles.measured?.decode)),
      model: gen.map((s) => s.cycles.model.decode),
      analytical: gen.map((s) => s.cycles.analytical),
      measured_with_host: gen.map((s) => orNull(s.cycles.measured?.whole)),
      model_with_host: gen.map((s) => s.cycles.model.whole),
    },
    breakdown: last ? { step: last.step, pos: last.pos, ...cyclesJson(last.cycles) } : null,
    prefill: r.prefill
      ? {
          batch: r.prefill.batch,
          cycles: {
            measured: r.prefill.measured,
            model: r.prefill.model,
            analytical: r.prefill.analytical,
            parts: Object.fromEntries(r.prefill.parts.map((p) => [p.part, { measured: p.measured, model: p.model, analytical: p.analytical }])),
          },
          tiles: r.prefill.tiles,
          positions: r.prefill.positions,
        }
      : null,
    prompt: { tokens: r.prompt.tokens, length: r.prompt.tokens.length, note: r.prompt.note },
    steps: r.steps.map((s) => ({
      step: s.step,
      pos: s.pos,
      token_in: s.token_in,
      rtl_token: s.rtl_token,
      golden_token: s.golden_token,
      generates: s.generates,
      match: s.match,
      layers_match: s.layers_match,
      logits_match: s.logits_match,
      cycles: cyclesJson(s.cycles),
    })),
    load: r.load,
    mismatch_count: r.mismatch_count,
    first_mismatch: passed(r) ? null : firstMismatchText(r),
    mismatches: r.mismatches.map((m) => ({ ...m, golden: orNull(m.golden) })),
    problems: r.problems,
    sim: r.sim,
  };
}
