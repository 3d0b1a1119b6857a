// The model as a terminal report (`gen-rtl model`): the seed's decode table per mapping, in
// seconds and cycles, with the seed's own figures beside ours; then prefill, sizing, energy and
// the inverse question.
import { GIB } from "../spec/derive.js";
import type { ComponentTime, DecodeTime } from "../model/decode.js";
import { isAvailable, type MappingModel, type ModelResult } from "../model/index.js";
import type { InverseAnswer } from "../model/inverse.js";
import { SEED_50_TOKENS_PER_S, type SeedRow } from "../model/seed.js";
import { bytes, cycles, fixed, grouped, percent, sci, textTable } from "./format.js";

const MAPPING_TITLE = {
  bank_per_head: "one bank per KV head (seed 2.3.2)",
  banks_per_head: "several banks per KV head (seed 2.3.3)",
} as const;

interface SeedCells {
  cell(key: string, mapping?: string): string;
  notes: string[];
}

function seedCells(rows: SeedRow[]): SeedCells {
  const notes: string[] = [];
  const noteOf = new Map<string, number>();
  const cell = (key: string, mapping?: string) => {
    const r = rows.find((x) => x.key === key && (x.mapping === undefined || x.mapping === mapping));
    if (!r) return "";
    if (r.status === "agrees") return `${r.seed} ok`;
    if (r.status === "differs") return `${r.seed} DIFFERS`;
    const why = r.why ?? "";
    if (!noteOf.has(why)) {
      notes.push(why);
      noteOf.set(why, notes.length);
    }
    return `${r.seed} erratum [${noteOf.get(why)}]`;
  };
  return { cell, notes };
}

function bound(c: ComponentTime): string {
  return c.bound === "compute" ? " (compute-bound)" : "";
}

function decodeTable(m: MappingModel, seed: SeedCells, showSeed: boolean): string {
  const s: DecodeTime = m.decode;
  const c: DecodeTime = m.decode_cycles;
  const total = s.total.time;
  const share = (x: number) => percent(x / total);
  const k = m.mapping;
  const rows: string[][] = [
    ["intra-bank weights" + bound(s.intra_bank.weights), "", sci(s.intra_bank.weights.time), "", sci(s.intra_bank.weights.time), share(s.intra_bank.weights.time), cycles(c.intra_bank.weights.time), seed.cell("decode.intra_bank.weights_s", k)],
    ["intra-bank KV" + bound(s.intra_bank.kv), "", sci(s.intra_bank.kv.time), "", sci(s.intra_bank.kv.time), share(s.intra_bank.kv.time), cycles(c.intra_bank.kv.time), seed.cell("decode.intra_bank.kv_s", k)],
    ...(["weights", "kv"] as const).map((part) => {
      const t = s.controller_bank[part];
      const seedCount = seed.cell(`decode.controller_bank.${part}.transfers`, k);
      const seedTime = seed.cell(`decode.controller_bank.${part}.transfer_s`, k);
      return [
        `controller-bank ${part === "kv" ? "KV" : part}`,
        String(t.transfers),
        sci(t.transfer),
        sci(t.lambda),
        sci(t.transfer + t.lambda),
        share(t.transfer + t.lambda),
        cycles(c.controller_bank[part].transfer + c.controller_bank[part].lambda),
        [seedCount && `${seedCount} transfers`, seedTime].filter(Boolean).join("; "),
      ];
    }),
    ["intra-controller weights" + bound(s.intra_controller.weights), "", sci(s.intra_controller.weights.time), "", sci(s.intra_controller.weights.time), share(s.intra_controller.weights.time), cycles(c.intra_controller.weights.time), seed.cell("decode.intra_controller.weights_s", k)],
    ["intra-controller KV" + bound(s.intra_controller.kv), "", sci(s.intra_controller.kv.time), "", sci(s.intra_controller.kv.time), share(s.intra_controller.kv.time), cycles(c.intra_controller.kv.time), seed.cell("decode.intra_controller.kv_s", k)],
    ["total", String(s.total.transfers), sci(s.total.bandwidth), sci(s.total.lambda), sci(total), percent(1), cycles(c.total.time),
      [seed.cell("decode.total.transfers", k) && `${seed.cell("decode.total.transfers", k)} transfers`, seed.cell("decode.total.bandwidth_s", k)].filter(Boolean).join("; ")],
  ];
  const head = ["component", "transfers", "bandwidth s", "λ s", "time s", "share", "cycles", "seed"];
  const keep = showSeed ? head.length : head.length - 1;
  const util = m.utilisation;
  return [
    `Decode, ${k}: ${MAPPING_TITLE[k]}${k === "banks_per_head" ? `, ${m.banks_per_head} banks per head` : ""}`,
    textTable(head.slice(0, keep), rows.map((r) => r.slice(0, keep)), [1, 2, 3, 4, 5, 6]),
    `  tokens/s ${fixed(m.tokens_per_s, 2)} (${fixed(m.tokens_per_s_without_lambda, 1)} without λ) · ${fixed(total * 1e6, 2)} µs/token · ${cycles(c.total.time)} cycles/token`,
    `  bank utilisation: weights ${percent(util.banks_weights)}, KV ${percent(util.banks_kv)} · bus share for KV ${percent(util.bus_kv)}`,
  ].join("\n");
}

function prefillText(m: MappingModel): string {
  const p = m.prefill;
  return [
    `Prefill, ${m.mapping}: ${p.prompt_len} prompt tokens in ${p.tiles} tiles of ${p.batch} (seed 3.2.2)`,
    textTable(
      ["part", "time s", "cycles"],
      [
        [`weights GEMM (${p.weights_bound}-bound)`, sci(p.weights), cycles(m.prefill_cycles.weights)],
        ["attention", sci(p.attention), cycles(m.prefill_cycles.attention)],
        [`transfers (${p.transfers})`, sci(p.transfer + p.lambda), cycles(m.prefill_cycles.transfer + m.prefill_cycles.lambda)],
        ["controller", sci(p.controller), cycles(m.prefill_cycles.controller)],
        ["total", sci(p.total), cycles(m.prefill_cycles.total)],
      ],
      [1, 2],
    ),
    `  ${fixed(p.prompt_len / p.total, 1)} prompt tokens/s · bank compute to stay memory-bound at batch ${p.batch}: ${sci(2 * p.macs_for_memory_bound)} ops/s`,
  ].join("\n");
}

function sizingText(r: ModelResult): string {
  const z = r.sizing;
  const items = [
    ["CRAM", z.cram],
    ["CMEM", z.cmem],
    ["BRAM (per bank)", z.bram],
    ["DieRAM (per die)", z.dieram],
    ["bank memory (per bank)", z.bank_memory],
  ] as const;
  return [
    "Sizing (seed 3.2, 3.3)",
    textTable(
      ["buffer", "needs", "has", "", "rule"],
      items.map(([name, it]) => [name, bytes(it.need_bytes), bytes(it.have_bytes), it.ok ? "ok" : `SHORT (${it.field})`, it.rule]),
      [1, 2],
    ),
    `  CRAM for every head's softmax at once: ${bytes(z.cram_all_heads_bytes)} · longest context that fits the bank memories: ${z.max_seq_len}`,
  ].join("\n");
}

function energyText(m: MappingModel): string {
  if (!m.energy) return `Energy, ${m.mapping}: no "energy" section in the spec`;
  const e = m.energy;
  return [
    `Energy per token, ${m.mapping}: ${fixed(e.uj.total, 3)} µJ`,
    `  MACs ${grouped(e.macs)} → ${fixed(e.uj.mac, 3)} µJ · bank reads ${grouped(e.bank_read_bits)} bits → ${fixed(e.uj.bank_read, 3)} µJ · bus ${grouped(e.bus_bits)} bits → ${fixed(e.uj.bus, 3)} µJ · controller ${grouped(e.controller_ops)} ops → ${fixed(e.uj.controller, 3)} µJ`,
  ].join("\n");
}

function requirementRow(label: string, q: InverseAnswer["without_lambda"]): string[] {
  return [
    label,
    `×${q.scale.toPrecision(3)}`,
    `${q.banks_gib_per_s.toPrecision(4)} GiB/s`,
    `${q.controller_bank_gib_per_s.toPrecision(4)} GiB/s`,
    `${q.controller_gib_per_s.toPrecision(4)} GiB/s`,
    `${(q.bank_ops_per_s / 1e9).toPrecision(4)} Gops`,
    `${(q.controller_ops_per_s / 1e9).toPrecision(4)} Gops`,
  ];
}

function inverseText(m: MappingModel, a: InverseAnswer): string {
  const lines = [`What reaches ${a.target_tokens_per_s} tokens/s, ${m.mapping} (budget ${sci(a.budget_s)} s per token; every rate scaled by one factor)`];
  if (!a.reachable) {
    lines.push(
      `  unreachable at λ = ${sci(a.lambda_s)} s: ${a.transfers} transfers × λ = ${sci(a.transfers * a.lambda_s)} s alone exceed the budget; λ must be below ${sci(a.max_lambda_s)} s (put the controller on the chip, seed 3.1.5)`,
    );
  }
  const rows = [...(a.with_lambda ? [requirementRow(`with λ = ${sci(a.lambda_s)} s`, a.with_lambda)] : []), requirementRow("with λ = 0", a.without_lambda)];
  lines.push(textTable(["case", "scale", "BM", "CBM", "CM", "bank compute", "controller compute"], rows, [1, 2, 3, 4, 5, 6]));
  const s = SEED_50_TOKENS_PER_S;
  lines.push(
    `  seed 3.3 for 50 tokens/s: BM ${s.banks_bandwidth}, CBM ${s.controller_bank_bandwidth}, CM ${s.controller_bandwidth}, bank compute ${s.bank_compute}, controller ${s.controller_compute}; CRAM ${s.cram}, CMEM ${s.cmem}, BRAM ${s.bram} (${s.note})`,
  );
  return lines.join("\n");
}

/** The chip's own prediction (the compiled step, instruction-level cycle model) beside the analytical decode. */
function chipText(r: ModelResult): string {
  const lines = [`The chip's own prediction: the compiled decode step at position ${r.spec.workload.context_len - 1} through the instruction-level cycle model (what gen-rtl run measures the RTL against)`];
  for (const [mapping, c] of Object.entries(r.chip ?? {})) {
    if (!c) continue;
    if ("unavailable" in c) {
      lines.push(`  ${mapping}: not available: ${c.unavailable}`);
      continue;
    }
    const mm = r.mappings[c.mapping];
    const analytical = isAvailable(mm) ? mm.decode_cycles.total.time : undefined;
    const vs = analytical ? ` · the analytical model ${Math.round(analytical)} cycles (chip ${c.cycles_per_token >= analytical ? "+" : ""}${((c.cycles_per_token / analytical - 1) * 100).toFixed(1)}%)` : "";
    lines.push(`  ${mapping}: ${c.cycles_per_token} cycles/token (${sci(c.seconds_per_token)} s; ${c.cycles_with_host} with host I/O), ${c.instructions} instructions${vs}`);
  }
  return lines.join("\n");
}

export function modelText(r: ModelResult): string {
  const d = r.derived;
  const m = d.model;
  const bw = d.bandwidth;
  const src = (x: { source: string }) => (x.source === "override" ? "override" : "from widths");
  const out: string[] = [
    `${r.spec.name}: ${m.preset} (H ${m.hidden_size}, ${m.num_hidden_layers} layer${m.num_hidden_layers === 1 ? "" : "s"}, ${m.num_attention_heads} heads / ${m.num_key_value_heads} KV heads, MLP ${m.intermediate_size}, V ${m.vocab_size}) on ${r.spec.chip.dies} dies × ${r.spec.chip.banks_per_die} banks = ${d.banks} banks at ${r.spec.clock_mhz} MHz`,
    `rates: BM ${+(bw.banks.bytes_per_s / GIB).toPrecision(6)} GiB/s (${src(bw.banks)}), CBM ${+(bw.controller_bank.bytes_per_s / GIB).toPrecision(6)} GiB/s (${src(bw.controller_bank)}), CM ${+(bw.controller.bytes_per_s / GIB).toPrecision(6)} GiB/s (${src(bw.controller)}), λ ${sci(d.lambda.s)} s (${src(d.lambda)}; ${d.lambda.cycles} cycles)`,
    `GEMV weights ${grouped(d.weights_in_gemv)} · context L ${r.spec.workload.context_len} · prompt ${r.spec.workload.prompt_len} · KV ${bytes(d.kv_bytes_per_token)} per token`,
  ];
  const seed = seedCells(r.seed.rows);
  const available = Object.values(r.mappings).filter(isAvailable);
  for (const mm of Object.values(r.mappings)) {
    if (mm && !isAvailable(mm)) out.push("", `Decode, ${mm.mapping}: not available on this chip: ${mm.unavailable}`);
  }
  for (const mm of available) out.push("", decodeTable(mm, seed, r.seed.applies));
  if (r.chip) out.push("", chipText(r));
  for (const mm of available) out.push("", prefillText(mm));
  out.push("", sizingText(r));
  for (const mm of available) out.push("", energyText(mm));
  for (const mm of available) if (mm.inverse) out.push("", inverseText(mm, mm.inverse));
  const msl = seed.cell("max_seq_len");
  if (r.seed.applies) {
    const differs = r.seed.rows.filter((x) => x.status === "differs");
    out.push(
      "",
      `Seed comparison (this spec is the seed's configuration): ${r.seed.rows.filter((x) => x.status === "agrees").length} figures agree, ${r.seed.rows.filter((x) => x.status === "erratum").length} are seed errata, ${differs.length} differ`,
      `  max sequence length: ours ${r.sizing.max_seq_len}, seed ${msl}`,
      ...r.seed.rows.filter((x) => x.key.startsWith("prefill.") && x.status !== "agrees").map((x) => `  ${x.key}: ours ${sci(x.ours)}, seed ${seed.cell(x.key)}`),
      ...seed.notes.map((n, i) => `  [${i + 1}] ${n}`),
    );
  } else {
    const n = r.seed.differences?.length ?? 0;
    out.push("", `Seed comparison: none; ${n} setting${n === 1 ? "" : "s"} differ from the seed's LLaMA-7B chip (specs/aim-llama7b.json; see seed_comparison in --json)`);
  }
  return out.join("\n") + "\n";
}
