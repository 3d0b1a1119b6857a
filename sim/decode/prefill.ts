// `gen-rtl run --prefill`: the prompt's tiles (generator/compiler/prefill-program.ts) compared with
// the golden LLaMA position by position, and their cycles three ways:
//   measured     the RTL, each instruction's accept edge to the next, summed over the tile;
//   model        the instruction-level cycle model over the same instructions;
//   analytical   the prefill model (generator/model/prefill.ts) in cycles: a tile's share is
//                prefillTime(first + its tokens) - prefillTime(first) (the model sums tile by tile,
//                and tiles start at multiples of the batch).
// The breakdown is the prefill model's four parts: weights (intra-bank weight GEMMs), attention
// (intra-bank KV), transfers (controller-bank, λ included) and controller (intra-controller); host
// I/O (the embedding rows in, the layer outputs and logits out) is outside the model.
import { readsOfPosition, type Program } from "../../generator/compiler/index.js";
import { prefillTime, type PrefillTime } from "../../generator/model/prefill.js";
import { cycleRates } from "../../generator/model/rates.js";
import type { Derived } from "../../generator/spec/derive.js";
import type { StepResult } from "../golden/llama.js";
import { compareStep, type Mismatch } from "./compare.js";
import { componentOf, cycleSums, type CycleSums } from "./cycles.js";

export interface PrefillTile {
  /** Position of its first token. */
  first: number;
  tokens: number[];
  program: Program;
}

/** One position against the golden LLaMA. */
export interface PositionReport {
  pos: number;
  token_in: number;
  /** The chip's token: the argmax of this position's logits; null when it returned none. */
  rtl_token: number | null;
  golden_token: number;
  /** Every layer output, the logits and the token bit for bit. */
  match: boolean;
  layers_match: boolean[];
  logits_match: boolean;
}

export interface TileReport {
  tile: number;
  first: number;
  tokens: number;
  measured: CycleSums | null;
  model: CycleSums;
  analytical: number;
}

export const PREFILL_PARTS = ["weights", "attention", "transfers", "controller"] as const;
export type PrefillPart = (typeof PREFILL_PARTS)[number];

export interface PrefillPartCycles {
  part: PrefillPart;
  measured: number | null;
  model: number;
  analytical: number;
}

export interface PrefillReport {
  batch: number;
  tiles: TileReport[];
  positions: PositionReport[];
  measured: CycleSums | null;
  model: CycleSums;
  analytical: number;
  parts: PrefillPartCycles[];
}

/** The prefill model's part of an instruction (null: host I/O). */
function partOf(prog: Program, i: number): PrefillPart | null {
  const c = componentOf(prog.instrs[i]!.tag);
  if (c === "host") return null;
  if (c === "intra_bank_weights") return "weights";
  if (c === "intra_bank_kv") return "attention";
  return c.startsWith("controller_bank") ? "transfers" : "controller";
}

function byPart(prog: Program, perInstr: readonly number[]): Record<PrefillPart, number> {
  const out: Record<PrefillPart, number> = { weights: 0, attention: 0, transfers: 0, controller: 0 };
  perInstr.forEach((c, i) => {
    const part = partOf(prog, i);
    if (part) out[part] += c;
  });
  return out;
}

function modelParts(t: PrefillTime): Record<PrefillPart, number> {
  return { weights: t.weights, attention: t.attention, transfers: t.transfer + t.lambda, controller: t.controller };
}

/**
 * The tiles' report: every prompt position against its golden step (mismatches appended to
 * `mismatches` up to `cap`), cycles per tile and in total. `reads`, `measured` and `model` are per
 * tile (in tile order); measured and model per instruction, with the banks' waits moved to the GEMMs.
 */
export function prefillReport(
  d: Derived,
  tiles: readonly PrefillTile[],
  reads: readonly (readonly (readonly bigint[])[])[],
  measured: readonly (readonly number[])[] | null,
  model: readonly (readonly number[])[],
  golden: readonly StepResult[],
  mismatches: Mismatch[],
  cap: number,
): { report: PrefillReport; mismatchCount: number } {
  const rates = cycleRates(d);
  const at = (n: number): PrefillTime => prefillTime(d, d.mapping, rates, n);
  let mismatchCount = 0;
  const positions: PositionReport[] = [];
  const total = { m: { weights: 0, attention: 0, transfers: 0, controller: 0 }, c: { weights: 0, attention: 0, transfers: 0, controller: 0 } };
  const tileReports = tiles.map((tile, k): TileReport => {
    tile.tokens.forEach((token, t) => {
      const pos = tile.first + t;
      const g = golden[pos]!;
      const view = readsOfPosition(tile.program, reads[k] ?? [], pos);
      const c = compareStep(pos, view.prog, view.reads, g);
      mismatchCount += c.mismatches.length;
      mismatches.push(...c.mismatches.slice(0, Math.max(0, cap - mismatches.length)));
      positions.push({ pos, token_in: token, rtl_token: c.token, golden_token: g.next, match: c.mismatches.length === 0, layers_match: c.layers_match, logits_match: c.logits_match });
    });
    const meas = measured ? measured[k]! : null;
    if (meas) for (const [part, v] of Object.entries(byPart(tile.program, meas))) total.m[part as PrefillPart] += v;
    for (const [part, v] of Object.entries(byPart(tile.program, model[k]!))) total.c[part as PrefillPart] += v;
    return {
      tile: k,
      first: tile.first,
      tokens: tile.tokens.length,
      measured: meas ? cycleSums(tile.program, meas) : null,
      model: cycleSums(tile.program, model[k]!),
      analytical: at(tile.first + tile.tokens.length).total - at(tile.first).total,
    };
  });
  const promptLen = tiles.reduce((n, t) => n + t.tokens.length, 0);
  const whole = at(promptLen);
  const analytical = modelParts(whole);
  const add = (xs: readonly CycleSums[]): CycleSums => xs.reduce((s, x) => ({ whole: s.whole + x.whole, decode: s.decode + x.decode }), { whole: 0, decode: 0 });
  return {
    report: {
      batch: d.prefill_batch,
      tiles: tileReports,
      positions,
      measured: measured ? add(tileReports.map((t) => t.measured!)) : null,
      model: add(tileReports.map((t) => t.model)),
      analytical: whole.total,
      parts: PREFILL_PARTS.map((part) => ({ part, measured: measured ? total.m[part] : null, model: total.c[part], analytical: analytical[part] })),
    },
    mismatchCount,
  };
}
