// `gen-rtl sweep` (generator/sweep/): the grid, the model at every point, the files, and --rtl.
//   (a) --vary parsing and the grid's order, a preset model expanded when a path goes into it;
//   (b) the sweep's numbers equal `gen-rtl model --json` on a spec file written (here, by hand) with
//       each point's values — decode tokens/s, s per token and cycles per token, in sweep.json and in
//       sweep.csv; the files are byte-identical from run to run;
//   (c) bad input: a value the schema refuses, a value the RTL refuses (--rtl), an unknown path or
//       metric: exit 2, one message naming the parameter and the value, nothing run or written (an
//       empty Verilator cache stays empty);
//   (d) the seed's 50 tokens/s demand (001, 3.3) from a sweep of its chip, held against the seed's
//       own claims and a hand calculation;
//   (e) --rtl on three points of specs/fpga-ice40.json (λ = 1, 2, 3 cycles): each decodes a token on
//       its Verilated chip bit-exactly with measured = instruction-model cycles, and the
//       instruction-model cycles equal `gen-rtl run --engine model` on the point's spec file.
import { execa } from "execa";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Spec } from "../generator/spec/schema.js";
import { parseCsv } from "../generator/sweep/csv.js";
import { gridPoints, parseVaries, parseVary, setPath } from "../generator/sweep/grid.js";
import { haveVerilator } from "../sim/harness/verilator.js";

const BIN = join(process.cwd(), "bin", "gen-rtl.js");
const have = await haveVerilator();
if (!have) console.warn("test/sweep.test.ts: verilator not found; skipping the --rtl sweep (apt-get install -y verilator)");

function scratch(): string {
  return mkdtempSync(join(tmpdir(), "pim-gen-sweep-"));
}

async function genRtl(args: string[], env: Record<string, string> = {}) {
  return execa("node", [BIN, ...args], { reject: false, stripFinalNewline: false, env });
}

function readSpec(file: string): Spec {
  const s = JSON.parse(readFileSync(file, "utf8")) as Spec & { $schema?: string };
  delete s.$schema;
  return s;
}

interface SweepPointJson {
  point: number;
  values: Record<string, number | string>;
  mapping: string;
  metrics: Record<string, number | null>;
  unavailable: string | null;
  rtl?: { passed: boolean; match: boolean; cycles_ok: boolean; steps: number; pos: number; measured_cycles: number; model_cycles: number; analytical_cycles: number };
}
interface SweepJson {
  spec: string;
  metric: string;
  vary: { path: string; values: (number | string)[] }[];
  points: SweepPointJson[];
  rtl: { passed: number; failed: number } | null;
}

describe("the grid", () => {
  it("parses numbers and strings, and refuses malformed options", () => {
    expect(parseVary("chip.bus.bits=64, 128,256")).toEqual({ path: "chip.bus.bits", keys: ["chip", "bus", "bits"], values: [64, 128, 256] });
    expect(parseVary("lambda_s=1e-4,0").values).toEqual([0.0001, 0]);
    expect(parseVary("workload.attention_mapping=bank_per_head,banks_per_head").values).toEqual(["bank_per_head", "banks_per_head"]);
    expect(() => parseVary("chip.bus.bits")).toThrow(/expected PATH=V1,V2/);
    expect(() => parseVary("chip.bus.bits=64,,128")).toThrow(/empty value/);
    expect(() => parseVary("chip.bus.bits=64,64")).toThrow(/chip\.bus\.bits=64 is given twice/);
    expect(() => parseVaries(["chip.bus.bits=1", "chip.bus.bits=2"])).toThrow(/given twice/);
    expect(() => parseVaries(["chip.bus=1", "chip.bus.bits=2"])).toThrow(/lies inside/);
  });

  it("orders points as nested loops, the first --vary slowest", () => {
    const points = gridPoints({ a: 0, b: { c: 0 } }, parseVaries(["a=1,2", "b.c=x,y,z"]));
    expect(points.map((p) => p.values)).toEqual([
      { a: 1, "b.c": "x" },
      { a: 1, "b.c": "y" },
      { a: 1, "b.c": "z" },
      { a: 2, "b.c": "x" },
      { a: 2, "b.c": "y" },
      { a: 2, "b.c": "z" },
    ]);
    expect(points[4]!.data).toEqual({ a: 2, b: { c: "y" } });
  });

  it("creates missing blocks and expands a model preset a path goes into", () => {
    expect(setPath({ name: "x" }, ["bandwidth_gib_per_s", "banks"], 512, "bandwidth_gib_per_s.banks")).toEqual({ name: "x", bandwidth_gib_per_s: { banks: 512 } });
    // LLaMA-7B's published config.json: 4096, 11008, 32 layers, 32 heads, 32 KV heads, 32000.
    expect(setPath({ model: "llama-7b" }, ["model", "num_hidden_layers"], 2, "model.num_hidden_layers")).toEqual({
      model: { hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 2, num_attention_heads: 32, num_key_value_heads: 32, vocab_size: 32000 },
    });
    expect(() => setPath({ name: "x" }, ["name", "y"], 1, "name.y")).toThrow(/name is "x" in the spec, not an object/);
  });
});

describe("gen-rtl sweep (model)", () => {
  it("gives `gen-rtl model --json`'s numbers at every point, in sweep.json and sweep.csv, byte-identical across runs", async () => {
    const out = scratch();
    const args = ["sweep", "specs/tiny.json", "--vary", "chip.bus.bits=32,64", "--vary", "workload.attention_mapping=bank_per_head,banks_per_head", "--metric", "cycles_per_token"];
    const r = await genRtl([...args, "--out-dir", join(out, "a")]);
    expect(r.stderr).toMatch(/^gen-rtl sweep: model: 4 point\(s\)$/m);
    expect(r.exitCode).toBe(0);
    expect(readdirSync(join(out, "a")).sort()).toEqual(["sweep.csv", "sweep.json", "sweep.svg"]);
    const sweep = JSON.parse(readFileSync(join(out, "a", "sweep.json"), "utf8")) as SweepJson;
    const rows = parseCsv(readFileSync(join(out, "a", "sweep.csv"), "utf8"));
    const header = rows[0]!;
    const col = (name: string) => header.indexOf(name);
    expect(sweep.points.map((p) => p.values)).toEqual([
      { "chip.bus.bits": 32, "workload.attention_mapping": "bank_per_head" },
      { "chip.bus.bits": 32, "workload.attention_mapping": "banks_per_head" },
      { "chip.bus.bits": 64, "workload.attention_mapping": "bank_per_head" },
      { "chip.bus.bits": 64, "workload.attention_mapping": "banks_per_head" },
    ]);
    for (const p of sweep.points) {
      // The point's spec, written by hand from specs/tiny.json.
      const s = readSpec("specs/tiny.json");
      s.chip.bus.bits = p.values["chip.bus.bits"] as number;
      s.workload.attention_mapping = p.values["workload.attention_mapping"] as Spec["workload"]["attention_mapping"];
      const file = join(out, `point-${p.point}.json`);
      writeFileSync(file, JSON.stringify(s));
      const m = await genRtl(["model", file, "--json"]);
      expect(m.exitCode).toBe(0);
      const model = JSON.parse(m.stdout).mappings[s.workload.attention_mapping];
      expect(p.mapping).toBe(s.workload.attention_mapping);
      expect(p.metrics.tokens_per_s).toBe(model.decode.tokens_per_s);
      expect(p.metrics.latency_s).toBe(model.decode.total.s);
      expect(p.metrics.cycles_per_token).toBe(model.decode_cycles.total.cycles);
      expect(p.metrics.prefill_s).toBe(model.prefill.s);
      expect(p.metrics.energy_uj_per_token).toBe(model.energy.uj_per_token);
      const row = rows[p.point + 1]!;
      expect(Number(row[col("tokens_per_s")])).toBe(model.decode.tokens_per_s);
      expect(Number(row[col("latency_s")])).toBe(model.decode.total.s);
      expect(Number(row[col("cycles_per_token")])).toBe(model.decode_cycles.total.cycles);
      expect(row[col("workload.attention_mapping")]).toBe(s.workload.attention_mapping);
    }
    // The README's results table: tiny decodes in 3564 (bank per head) and 3004 (banks per head) cycles.
    expect(sweep.points[0]!.metrics.cycles_per_token).toBe(3564);
    expect(sweep.points[1]!.metrics.cycles_per_token).toBe(3004);
    // The chart: the metric against the first --vary, one series per value of the second.
    const svg = readFileSync(join(out, "a", "sweep.svg"), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("decode cycles per token vs chip.bus.bits");
    expect(svg).toContain(">workload.attention_mapping</text>");
    expect(svg).toContain(">bank_per_head</text>");
    expect(svg).toContain(">banks_per_head</text>");
    // Same input, same bytes.
    const again = await genRtl([...args, "--out-dir", join(out, "b")]);
    expect(again.exitCode).toBe(0);
    for (const f of ["sweep.csv", "sweep.json", "sweep.svg"]) expect(readFileSync(join(out, "b", f), "utf8")).toBe(readFileSync(join(out, "a", f), "utf8"));
  });

  it("a metric no point has (fpga-ice40 gives no energy figures) is an empty column and a chart that says so", async () => {
    const out = scratch();
    const r = await genRtl(["sweep", "specs/fpga-ice40.json", "--vary", "chip.bus.bits=16,32", "--metric", "energy_uj_per_token", "--out-dir", out]);
    expect(r.exitCode).toBe(0);
    const rows = parseCsv(readFileSync(join(out, "sweep.csv"), "utf8"));
    expect(rows.slice(1).map((row) => row[rows[0]!.indexOf("energy_uj_per_token")])).toEqual(["", ""]);
    expect(readFileSync(join(out, "sweep.svg"), "utf8")).toContain("no point has a value for energy_uj_per_token");
  });

  it("runs a grid of a thousand points in seconds", async () => {
    const out = scratch();
    const t0 = Date.now();
    const values = (xs: number[]) => xs.join(",");
    const r = await genRtl([
      "sweep",
      "specs/tiny.json",
      "--vary", `chip.bus.bits=${values([8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096])}`,
      "--vary", `chip.bank.mac_lanes=${values([1, 2, 4, 8, 16, 32, 64, 128, 256, 512])}`,
      "--vary", `chip.bus.latency_cycles=${values([0, 1, 2, 4, 8, 16, 32, 64, 128, 256])}`,
      "--out-dir", out, "--json",
    ]);
    const seconds = (Date.now() - t0) / 1000;
    expect(r.exitCode).toBe(0);
    expect((JSON.parse(r.stdout) as SweepJson).points).toHaveLength(1000);
    expect(seconds).toBeLessThan(20);
  });
});

describe("gen-rtl sweep: bad input runs none of the grid", () => {
  function expectRefused(r: { exitCode?: number; stderr: string }, ...patterns: RegExp[]): void {
    expect(r.exitCode).toBe(2);
    for (const p of patterns) expect(r.stderr).toMatch(p);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stderr).not.toMatch(/internal error/);
  }

  it("a value the schema refuses: the parameter and the value named, nothing written", async () => {
    const out = join(scratch(), "sweep");
    const r = await genRtl(["sweep", "specs/tiny.json", "--vary", "chip.bus.bits=32,64", "--vary", "chip.bank.mac_lanes=8,0", "--out-dir", out]);
    expectRefused(r, /2 of 4 grid points are invalid; nothing was run/, /chip\.bank\.mac_lanes=0/, /chip\.bank\.mac_lanes: 0 \(number\) is too small/);
    expect(r.stdout).toBe("");
    expect(existsSync(out)).toBe(false);
  });

  it("--rtl: a value the RTL refuses, and one the compiler cannot serve, stop the sweep before any Verilator build", async () => {
    const dir = scratch();
    const cache = join(dir, "cache");
    const env = { PIM_GEN_CACHE: cache };
    const out = join(dir, "sweep");
    const t0 = Date.now();
    const r = await genRtl(["sweep", "specs/tiny.json", "--vary", "numerics.activation_bits=8,16", "--rtl", "--out-dir", out], env);
    expectRefused(r, /numerics\.activation_bits=16/, /activation/);
    // kv_bits 4 with 8-bit activations: a valid chip the compiler cannot serve (README: kv_bits must equal activation_bits).
    const k = await genRtl(["sweep", "specs/tiny.json", "--vary", "numerics.kv_bits=8,4", "--rtl", "--out-dir", out], env);
    expectRefused(k, /numerics\.kv_bits=4/, /compiler cannot serve it/);
    expect(k.stderr).not.toMatch(/numerics\.kv_bits=8\)/);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(cache)).toBe(false);
  });

  it("an unknown path or metric", async () => {
    const out = join(scratch(), "sweep");
    const r = await genRtl(["sweep", "specs/tiny.json", "--vary", "chip.bus.width=32,64", "--out-dir", out]);
    expectRefused(r, /chip\.bus\.width=32/, /unknown key "width"; expected one of: bits, latency_cycles/);
    const m = await genRtl(["sweep", "specs/tiny.json", "--vary", "chip.bus.bits=32", "--metric", "speed", "--out-dir", out]);
    expectRefused(m, /speed/, /tokens_per_s/, /latency_s/, /cycles_per_token/);
    const none = await genRtl(["sweep", "specs/tiny.json", "--out-dir", out]);
    expectRefused(none, /at least one --vary/);
    expect(existsSync(out)).toBe(false);
  });
});

describe("the seed's 50 tokens/s demand (001, 3.3) from a sweep of its chip", () => {
  it("reproduces the seed's claims, and where 4-bit weights make it fall short", async () => {
    const out = scratch();
    // The seed's chip (BM 8×512, CBM 8×32, CM 100 GB/s, λ = 1e-4 s, 64 MAC lanes, 256 ALU lanes) crossed
    // with its 3.3 demand: λ → 0, BM 512, CBM 4–32, CM 16 GB/s, 32 Gops of controller (32 lanes at
    // 2^30 Hz), 512×2 Gops of banks (4 lanes × 128 banks × 2^30 Hz × 2 ops) or ×16 (64 lanes).
    const r = await genRtl([
      "sweep", "specs/aim-llama7b.json",
      "--vary", "lambda_s=0.0001,0",
      "--vary", "bandwidth_gib_per_s.banks=4096,512",
      "--vary", "bandwidth_gib_per_s.controller_bank=256,32,4",
      "--vary", "bandwidth_gib_per_s.controller=100,16",
      "--vary", "chip.bank.mac_lanes=64,4",
      "--vary", "chip.controller.vector_lanes=256,32",
      "--vary", "workload.attention_mapping=bank_per_head,banks_per_head",
      "--metric", "tokens_per_s", "--out-dir", out, "--json",
    ]);
    expect(r.exitCode).toBe(0);
    const sweep = JSON.parse(r.stdout) as SweepJson;
    expect(sweep.points).toHaveLength(192);
    const at = (v: Record<string, number | string>, mapping: string) => {
      const p = sweep.points.find((x) => x.mapping === mapping && Object.entries(v).every(([k, val]) => x.values[k] === val));
      if (!p) throw new Error(`no point ${JSON.stringify(v)}`);
      return p.metrics;
    };
    const seedChip = { "bandwidth_gib_per_s.banks": 4096, "bandwidth_gib_per_s.controller_bank": 256, "bandwidth_gib_per_s.controller": 100, "chip.bank.mac_lanes": 64, "chip.controller.vector_lanes": 256 };
    // 3.1.5: 514λ + 1.25e-3 s a token with one bank per head.
    expect(at({ ...seedChip, lambda_s: 0.0001 }, "bank_per_head").tokens_per_s!.toPrecision(3)).toBe((1 / (514e-4 + 1.25e-3)).toPrecision(3));
    // 3.1.5: "1 s 可以推理出 500+ token" once the controller-bank latency is optimised away.
    for (const m of ["bank_per_head", "banks_per_head"]) expect(at({ ...seedChip, lambda_s: 0 }, m).tokens_per_s).toBeGreaterThan(500);
    // 3.3: BM 512, CBM 4 ~ 32, CM 16 GB/s, 32 Gops controller → 50+ tokens/s, with 512×2 Gops of banks
    // (4 lanes) 50+ tokens/s of prefill, with 512×2×16 Gops (64 lanes) 50×16+ — the latter counts the
    // banks' GEMM alone, so it is held at the top of the seed's CBM range (32 GB/s), where the
    // prompt's transfers are cheapest.
    const demand = { lambda_s: 0, "bandwidth_gib_per_s.banks": 512, "bandwidth_gib_per_s.controller": 16, "chip.controller.vector_lanes": 32 };
    for (const m of ["bank_per_head", "banks_per_head"]) {
      for (const cbm of [4, 32]) {
        expect(at({ ...demand, "bandwidth_gib_per_s.controller_bank": cbm, "chip.bank.mac_lanes": 64 }, m).tokens_per_s).toBeGreaterThan(50);
        expect(at({ ...demand, "bandwidth_gib_per_s.controller_bank": cbm, "chip.bank.mac_lanes": 4 }, m).prefill_tokens_per_s).toBeGreaterThan(50);
      }
      expect(at({ ...demand, "bandwidth_gib_per_s.controller_bank": 32, "chip.bank.mac_lanes": 64 }, m).prefill_tokens_per_s).toBeGreaterThan(800);
    }
    // At 512×2 Gops the banks are compute-bound in decode too (4-bit weights: 4 ops per byte, the
    // seed's erratum 5). By hand, bank per head, CBM 4 GB/s, seconds per token:
    //   weights: the busiest bank's MACs / (4 lanes × 2^30 /s), per layer q, k, v, o: 4096/128 = 32 rows
    //            of 4096; gate, up: ceil(11008/128) = 86 rows of 4096; down: 32 rows of 11008; then the
    //            LM head: 32000/128 = 250 rows of 4096
    const G = 2 ** 30;
    const busiest = 32 * (4 * 32 * 4096 + 2 * 86 * 4096 + 32 * 11008) + 250 * 4096;
    const weights = busiest / (4 * G);
    //   KV: 32 layers × 2 × L × head_dim MACs on a KV head's bank, L = 4096, head_dim = 128
    const kv = (32 * 2 * 4096 * 128) / (4 * G);
    //   transfers (λ = 0): Σ (cols + rows) × ½ byte / CBM for the GEMVs; 32 × 2H × ½ byte / (CBM × 32 KV heads / 128 banks)
    const gemvElems = 32 * (4 * (4096 + 4096) + 2 * (4096 + 11008) + (11008 + 4096)) + (4096 + 32000);
    const transfers = (gemvElems * 0.5) / (4 * G) + (32 * 2 * 4096 * 0.5) / ((4 * G * 32) / 128);
    //   controller: (V + 32 × (4H + 2F)) elements × ½ byte / 16 GB/s (= the elements / (32 lanes × 2^30): balanced)
    const controller = ((32000 + 32 * (4 * 4096 + 2 * 11008)) * 0.5) / (16 * G);
    const byHand = 1 / (weights + kv + transfers + controller);
    const low = at({ ...demand, "bandwidth_gib_per_s.controller_bank": 4, "chip.bank.mac_lanes": 4 }, "bank_per_head").tokens_per_s!;
    expect(low).toBeCloseTo(byHand, 6);
    expect(low.toPrecision(3)).toBe("49.3");
  });
});

describe.skipIf(!have)("gen-rtl sweep --rtl", () => {
  it("three points of fpga-ice40 decode bit-exactly on their Verilated chips, measured = instruction model", { timeout: 900_000 }, async () => {
    const out = scratch();
    const r = await genRtl(["sweep", "specs/fpga-ice40.json", "--vary", "chip.bus.latency_cycles=1,2,3", "--rtl", "--out-dir", out]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/3 passed, 0 failed/);
    const sweep = JSON.parse(readFileSync(join(out, "sweep.json"), "utf8")) as SweepJson;
    expect(sweep.rtl).toMatchObject({ passed: 3, failed: 0 });
    const measured: number[] = [];
    for (const p of sweep.points) {
      const rtl = p.rtl!;
      expect(rtl).toMatchObject({ passed: true, match: true, cycles_ok: true });
      expect(rtl.measured_cycles).toBe(rtl.model_cycles);
      measured.push(rtl.measured_cycles);
      // The instruction model's cycles for the point, from `gen-rtl run --engine model` on a spec file written by hand.
      const s = readSpec("specs/fpga-ice40.json");
      s.chip.bus.latency_cycles = p.values["chip.bus.latency_cycles"] as number;
      const file = join(out, `point-${p.point}.json`);
      writeFileSync(file, JSON.stringify(s));
      const run = await genRtl(["run", file, "--tokens", "1", "--engine", "model", "--json"]);
      expect(run.exitCode).toBe(0);
      const cpt = JSON.parse(run.stdout).cycles_per_token;
      expect(cpt.model).toEqual([rtl.model_cycles]);
      expect(cpt.analytical).toEqual([rtl.analytical_cycles]);
      // And the model's cycles per token equal `gen-rtl model` on the same file.
      const m = await genRtl(["model", file, "--json"]);
      expect(p.metrics.cycles_per_token).toBe(JSON.parse(m.stdout).mappings[s.workload.attention_mapping].decode_cycles.total.cycles);
    }
    // A longer bus latency costs cycles on the chip: each transfer pays λ.
    expect(measured[0]!).toBeLessThan(measured[1]!);
    expect(measured[1]!).toBeLessThan(measured[2]!);
    const csv = parseCsv(readFileSync(join(out, "sweep.csv"), "utf8"));
    expect(csv[0]).toContain("rtl_measured_cycles");
    expect(csv.slice(1).map((row) => row[csv[0]!.indexOf("rtl_passed")])).toEqual(["true", "true", "true"]);
    expect(readFileSync(join(out, "sweep.svg"), "utf8")).toContain("measured (RTL)");
  });
});
