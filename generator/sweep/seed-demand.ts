// The seed's 50 tokens/s demand (001, section 3.3) reproduced by a sweep of its own chip
// (specs/aim-llama7b.json). The seed concludes from its 3.1.5 table that a decode of 50+ tokens/s
// needs, with the controller on the chip so that the per-transfer latency λ is negligible:
//   bank bandwidth BM 512 GB/s, controller <-> bank CBM 4 ~ 32 GB/s, controller CM 16 GB/s and
//   32 Gops (the controller's compute only has to keep up with its bandwidth), bank compute
//   512×2 Gops (50+ tokens/s of prefill) ~ 512×2×16 Gops (50×16+ tokens/s of prefill),
// and that without λ its own chip would do 500+ tokens/s (3.1.5: "1 s 可以推理出 500+ token").
// "GB" is 2^30 bytes (the seed's unit); 512×2 Gops of bank compute is 4 MAC lanes per bank on its
// 128 banks at 2^30 Hz (4 × 128 × 2^30 MAC/s × 2 ops), ×16 is 64 lanes; 32 Gops of controller
// compute is 32 vector lanes.
//
// The grid (SEED_DEMAND_VARY, `gen-rtl sweep specs/aim-llama7b.json --vary …` gives the same
// numbers) crosses the seed's chip and its 3.3 demand in every rate, both mappings; the rows
// (SEED_DEMAND_ROWS) pick the configurations the seed speaks of, each with its claim.
import { join } from "node:path";
import { bramTileBytes, cmemPrefillBytes, cramBytes } from "../model/sizing.js";
import { packageRoot } from "../paths.js";
import type { AttentionMapping } from "../spec/schema.js";
import { prepareSweep } from "./index.js";
import type { VaryValue } from "./grid.js";
import { modelPoint } from "./run-model.js";

export const SEED_DEMAND_SPEC = "specs/aim-llama7b.json";

export const SEED_DEMAND_VARY = [
  "lambda_s=0.0001,0",
  "bandwidth_gib_per_s.banks=4096,512",
  "bandwidth_gib_per_s.controller_bank=256,32,4",
  "bandwidth_gib_per_s.controller=100,16",
  "chip.bank.mac_lanes=64,4",
  "chip.controller.vector_lanes=256,32",
  "workload.attention_mapping=bank_per_head,banks_per_head",
] as const;

export interface SeedDemandConfig {
  /** For the chart's axis. */
  short: string;
  name: string;
  values: Record<string, VaryValue>;
  /** What the seed says of it. */
  decode_claim: string;
  /** Lowest decode tokens/s the claim allows (null: the claim is a figure, not a bound). */
  decode_min: number | null;
  prefill_claim: string | null;
  prefill_min: number | null;
  /** Where the model and the seed part, and why. */
  note: string;
}

const SEED_CHIP = {
  "bandwidth_gib_per_s.banks": 4096,
  "bandwidth_gib_per_s.controller_bank": 256,
  "bandwidth_gib_per_s.controller": 100,
  "chip.bank.mac_lanes": 64,
  "chip.controller.vector_lanes": 256,
};

const DEMAND = {
  lambda_s: 0,
  "bandwidth_gib_per_s.banks": 512,
  "bandwidth_gib_per_s.controller": 16,
  "chip.controller.vector_lanes": 32,
};

export const SEED_DEMAND_ROWS: readonly SeedDemandConfig[] = [
  {
    short: "the seed's chip",
    name: "the seed's chip (3.1.5: 514λ + 1.25e-3 s, 642λ + 1.27e-3 s a token)",
    values: { lambda_s: 0.0001, ...SEED_CHIP },
    decode_claim: "19.0 / 15.3",
    decode_min: null,
    prefill_claim: null,
    prefill_min: null,
    note:
      "the seed's figures are 1 / (514λ + 1.25e-3 s) = 19.0 tokens/s (bank per head) and 1 / (642λ + 1.27e-3 s) = 15.3 (banks per head); " +
      "the latter differs: its 192 KV transfers are 128 (erratum 1)",
  },
  {
    short: "the seed's chip, λ = 0",
    name: "the seed's chip with λ optimised away (3.1.5)",
    values: { lambda_s: 0, ...SEED_CHIP },
    decode_claim: "500+",
    decode_min: 500,
    prefill_claim: null,
    prefill_min: null,
    note: "",
  },
  {
    short: "3.3: CBM 4, banks 512×2×16 Gops",
    name: "3.3 demand: BM 512, CBM 4, CM 16 GB/s, 32 Gops controller; 512×2×16 Gops banks",
    values: { ...DEMAND, "bandwidth_gib_per_s.controller_bank": 4, "chip.bank.mac_lanes": 64 },
    decode_claim: "50+",
    decode_min: 50,
    prefill_claim: "50×16+ = 800+",
    prefill_min: 800,
    note:
      "prefill: the seed's 50×16 counts the banks' GEMM alone (16 tokens per 12 ms at 512×2×16 Gops: 1333 tokens/s); " +
      "at CBM 4 GB/s each prompt token's vectors over the bus (0.4 ms) and its attention bring it below 800 — at CBM 32 it holds",
  },
  {
    short: "3.3: CBM 32, banks 512×2×16 Gops",
    name: "3.3 demand: BM 512, CBM 32, CM 16 GB/s, 32 Gops controller; 512×2×16 Gops banks",
    values: { ...DEMAND, "bandwidth_gib_per_s.controller_bank": 32, "chip.bank.mac_lanes": 64 },
    decode_claim: "50+",
    decode_min: 50,
    prefill_claim: "50×16+ = 800+",
    prefill_min: 800,
    note: "",
  },
  {
    short: "3.3: CBM 4, banks 512×2 Gops",
    name: "3.3 demand: BM 512, CBM 4, CM 16 GB/s, 32 Gops controller; 512×2 Gops banks",
    values: { ...DEMAND, "bandwidth_gib_per_s.controller_bank": 4, "chip.bank.mac_lanes": 4 },
    decode_claim: "50+",
    decode_min: 50,
    prefill_claim: "50+",
    prefill_min: 50,
    note:
      "at 512×2 Gops the banks are compute-bound in decode too: 4-bit weights are 4 ops per byte, not the seed's 2 (erratum 5), " +
      "so 512 GB/s would need 512×4 Gops; bank_per_head falls just short of 50 tokens/s",
  },
];

export interface SeedDemandRow {
  config: string;
  short: string;
  mapping: AttentionMapping;
  values: Record<string, VaryValue>;
  decode_tokens_per_s: number;
  decode_claim: string;
  decode_ok: boolean | null;
  prefill_tokens_per_s: number;
  prefill_claim: string | null;
  prefill_ok: boolean | null;
  note: string;
  /** Bank compute, all banks, Gops (2^30 ops/s, the seed's G). */
  bank_gops: number;
  controller_gops: number;
}

export interface SeedDemand {
  command: string;
  points: number;
  /** Grid points with λ = 0 and BM = 512 GB/s that reach 50 tokens/s, of how many. */
  reaching_50: { reach: number; of: number };
  rows: SeedDemandRow[];
  /** The seed's 3.3 buffer sizes beside the model's sizing of its chip (L = 16K, the seed's longest; a prefill tile of 16 tokens). */
  sizing: { what: string; seed: string; bytes: number }[];
}

function sameValues(a: Record<string, VaryValue>, b: Record<string, VaryValue>): boolean {
  return Object.entries(b).every(([k, v]) => a[k] === v);
}

/** Runs the grid on the seed's chip (about 200 points, well under a second) and picks the rows. */
export function seedDemand(): SeedDemand {
  const file = join(packageRoot(), SEED_DEMAND_SPEC);
  const prepared = prepareSweep(file, SEED_DEMAND_VARY, null);
  const results = prepared.points.map((p) => ({ p, m: modelPoint(p, "spec") }));
  const G = 2 ** 30;
  const rows: SeedDemandRow[] = [];
  for (const cfg of SEED_DEMAND_ROWS) {
    for (const { p, m } of results.filter((x) => sameValues(x.p.values, cfg.values))) {
      const d = p.loaded.derived;
      const decode = m.metrics.tokens_per_s ?? NaN;
      const prefill = m.metrics.prefill_tokens_per_s ?? NaN;
      rows.push({
        config: cfg.name,
        short: cfg.short,
        mapping: m.mapping,
        values: p.values,
        decode_tokens_per_s: decode,
        decode_claim: cfg.decode_claim,
        decode_ok: cfg.decode_min === null ? null : decode >= cfg.decode_min,
        prefill_tokens_per_s: prefill,
        prefill_claim: cfg.prefill_claim,
        prefill_ok: cfg.prefill_min === null ? null : prefill >= cfg.prefill_min,
        note: cfg.note,
        bank_gops: (2 * d.banks * d.per_cycle.bank_macs * d.clock_hz) / G,
        controller_gops: (d.per_cycle.controller_ops * d.clock_hz) / G,
      });
    }
  }
  const demand = results.filter(({ p }) => p.values["lambda_s"] === 0 && p.values["bandwidth_gib_per_s.banks"] === 512);
  const d = prepared.points[0]!.loaded.derived;
  const L = 16384;
  const sizing = [
    { what: "CRAM: the softmax of every head's L = 16K scores at once", seed: "256 KB", bytes: d.model.num_attention_heads * cramBytes(d, L) },
    { what: "CMEM: prefill's L × L scores of one head, L = 16K", seed: "256 MB (128 MB the minimum)", bytes: cmemPrefillBytes(d, L) },
    { what: "BRAM: a prefill tile of 16 tokens' activations", seed: "16 KB ~ 64 KB", bytes: bramTileBytes(d) },
  ];
  return {
    sizing,
    command: `gen-rtl sweep ${SEED_DEMAND_SPEC} ${SEED_DEMAND_VARY.map((v) => `--vary ${v}`).join(" ")}`,
    points: prepared.points.length,
    reaching_50: { reach: demand.filter(({ m }) => (m.metrics.tokens_per_s ?? 0) >= 50).length, of: demand.length },
    rows,
  };
}
