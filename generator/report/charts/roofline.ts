// The banks' roofline: attainable ops/s = min(peak MAC compute, bank bandwidth × operational
// intensity), all banks together, seconds view (1 MAC = 2 ops), with the operating points of decode
// and prefill per mapping:
//   decode, banks only   the token's intra-bank ops (weight GEMVs + attention on the KV cache) over
//                        the bytes the banks read, at the speed of the intra-bank time alone;
//   decode, whole token  the same ops over the whole token's time (transfers, λ, controller too);
//   prefill, weight GEMM the prompt's GEMV ops (prompt_len × the token's weight MACs) over the weight
//                        bytes read once per tile of prefill_batch tokens, at the prefill weight time;
//   prefill, whole       the same ops over the whole prefill time.
import { decodeWork } from "../../model/decode.js";
import { isAvailable, type ModelResult } from "../../model/index.js";
import { ATTENTION_MAPPINGS, type AttentionMapping } from "../../spec/schema.js";
import type { ChartSpec } from "./render.js";

export interface RooflinePoint {
  name: string;
  mapping: AttentionMapping;
  phase: "decode" | "prefill";
  /** ops per byte read from bank memory */
  intensity: number;
  /** ops per second */
  performance: number;
}

export interface Roofline {
  /** Peak MAC compute of all banks, ops/s. */
  peak_ops_per_s: number;
  /** Bank bandwidth BM, bytes/s. */
  bandwidth_bytes_per_s: number;
  /** Intensity where the roof bends: peak / bandwidth, ops per byte. */
  ridge: number;
  points: RooflinePoint[];
}

export function roofline(r: ModelResult): Roofline {
  const d = r.derived;
  const peak = 2 * d.banks * d.per_cycle.bank_macs * d.clock_hz;
  const bw = d.bandwidth.banks.bytes_per_s;
  const points: RooflinePoint[] = [];
  for (const mapping of ATTENTION_MAPPINGS) {
    const m = r.mappings[mapping];
    if (!isAvailable(m)) continue;
    const w = m.work.intra_bank;
    const ops = 2 * (w.weights.total_macs + w.kv.total_macs);
    const bytes = w.weights.total_bytes + w.kv.total_bytes;
    const banksTime = m.decode.intra_bank.weights.time + m.decode.intra_bank.kv.time;
    points.push(
      { name: `decode, banks only (${mapping})`, mapping, phase: "decode", intensity: ops / bytes, performance: ops / banksTime },
      { name: `decode, whole token (${mapping})`, mapping, phase: "decode", intensity: ops / bytes, performance: ops / m.decode.total.time },
    );
    const p = m.prefill;
    const token = decodeWork(d, mapping, 1).intra_bank.weights;
    const pOps = 2 * p.prompt_len * token.total_macs;
    const pBytes = p.tiles * token.total_bytes;
    points.push(
      { name: `prefill, weight GEMM (${mapping})`, mapping, phase: "prefill", intensity: pOps / pBytes, performance: pOps / p.weights },
      { name: `prefill, whole (${mapping})`, mapping, phase: "prefill", intensity: pOps / pBytes, performance: pOps / p.total },
    );
  }
  return { peak_ops_per_s: peak, bandwidth_bytes_per_s: bw, ridge: peak / bw, points };
}

/** 1.28e10 → "12.8 G" */
export function si(x: number): string {
  const units: [number, string][] = [[1e15, "P"], [1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]];
  for (const [v, u] of units) if (Math.abs(x) >= v) return `${+(x / v).toPrecision(3)} ${u}`;
  return `${+x.toPrecision(3)} `;
}

export function rooflineChart(rf: Roofline, spec: string): ChartSpec {
  const xs = [rf.ridge, ...rf.points.map((p) => p.intensity)];
  const lo = Math.min(...xs) / 4;
  const hi = Math.max(...xs) * 4;
  const roof = [lo, rf.ridge, hi].map((i) => ({ intensity: i, performance: Math.min(rf.peak_ops_per_s, rf.bandwidth_bytes_per_s * i) }));
  const ys = [...roof.map((p) => p.performance), ...rf.points.map((p) => p.performance)];
  const yDomain = [Math.min(...ys) / 2, Math.max(...ys) * 2];
  const x = { field: "intensity", type: "quantitative", scale: { type: "log", domain: [lo, hi] }, title: "operational intensity (ops per byte read from bank memory)" };
  const y = { field: "performance", type: "quantitative", scale: { type: "log", domain: yDomain }, title: "ops/s (all banks; 1 MAC = 2 ops)", axis: { format: "~s" } };
  // The bandwidth label sits right of (and below) the slanted roof, the compute label above the flat one.
  const at = Math.sqrt(lo * rf.ridge);
  const bwLabel = [{ intensity: at, performance: rf.bandwidth_bytes_per_s * at, text: `bank bandwidth BM = ${si(rf.bandwidth_bytes_per_s)}B/s` }];
  const peakLabel = [{ intensity: Math.sqrt(rf.ridge * hi), performance: rf.peak_ops_per_s, text: `peak MAC compute = ${si(rf.peak_ops_per_s)}ops/s` }];
  return {
    title: `roofline of the banks, ${spec} (ridge at ${+rf.ridge.toPrecision(3)} ops/byte)`,
    width: 560,
    height: 340,
    layer: [
      { data: { values: roof }, mark: { type: "line", color: "#333", strokeWidth: 2 }, encoding: { x, y } },
      { data: { values: bwLabel }, mark: { type: "text", align: "left", dx: 10, dy: 10, fontSize: 11, color: "#333" }, encoding: { x, y, text: { field: "text", type: "nominal" } } },
      { data: { values: peakLabel }, mark: { type: "text", dy: -10, fontSize: 11, color: "#333" }, encoding: { x, y, text: { field: "text", type: "nominal" } } },
      {
        data: { values: rf.points },
        mark: { type: "point", filled: true, size: 90 },
        encoding: {
          x,
          y,
          color: { field: "name", type: "nominal", title: "operating point", legend: { orient: "bottom", columns: 2 } },
          shape: { field: "phase", type: "nominal", title: "phase", legend: null },
        },
      },
    ],
  } as ChartSpec;
}
