// The chip's own prediction of a decode token, without weights and without simulating: the step
// program the compiler would run at the last position of the context (its instructions do not
// depend on the weights' values, only on the model's shape and shifts), through the
// instruction-level cycle model (generator/model/cycles-chip.ts programCycles). This is what
// `gen-rtl run` measures the RTL against, offered beside the seed's analytical model by
// `gen-rtl model` and in model.txt / model.json.
import { llamaShape, llamaShifts, type LlamaWeights } from "../../sim/golden/llama-weights.js";
import { UserError } from "../errors.js";
import { programCycles } from "../model/cycles-chip.js";
import { chipParams } from "../rtl/chip.js";
import { derive } from "../spec/derive.js";
import type { LoadedSpec } from "../spec/load.js";
import type { AttentionMapping } from "../spec/schema.js";
import { planLayout } from "./layout.js";
import { instructionsOf, tally } from "./program.js";
import { stepProgram } from "./step-program.js";

export interface ChipPrediction {
  mapping: AttentionMapping;
  /** Positions attended (the step at position positions - 1: the last of the context). */
  positions: number;
  /** Cycles of the step without host I/O (the embedding row in, the logits out), and with it. */
  cycles_per_token: number;
  cycles_with_host: number;
  seconds_per_token: number;
  /** Instructions of the step. */
  instructions: number;
  /** Cycles per part of the step's instruction tags (the banks' waits left where they fall). */
  by_part: Record<string, number>;
}

export interface ChipUnavailable {
  mapping: AttentionMapping;
  unavailable: string;
}

/** Weights with the spec's shape and shifts and no values (the step program reads only those). */
function shapeOnly(loaded: LoadedSpec): LlamaWeights {
  const { dims, numerics, ctrl, bus } = llamaShape(loaded);
  const { shifts, scoreRequant } = llamaShifts(dims, numerics, ctrl, bus);
  const empty = { wq: [], wk: [], wv: [], wo: [], wGate: [], wUp: [], wDown: [], attnNorm: [], mlpNorm: [] };
  return {
    seed: 0,
    dims,
    numerics,
    ctrl,
    bus,
    embed: [Array.from({ length: dims.hidden }, () => 0n)],
    layers: Array.from({ length: dims.layers }, () => empty),
    finalNorm: [],
    lmHead: [],
    shifts,
    scoreRequant,
  };
}

/** The chip's cycles per token for `mapping` at the full context, or why the compiler cannot serve the spec. */
export function predictChipToken(loaded: LoadedSpec, mapping: AttentionMapping): ChipPrediction | ChipUnavailable {
  if (loaded.rtlProblems.length > 0) return { mapping, unavailable: `the RTL generator does not build this spec (${loaded.rtlProblems[0]!.path}: ${loaded.rtlProblems[0]!.message})` };
  const spec = { ...loaded.spec, workload: { ...loaded.spec.workload, attention_mapping: mapping } };
  const l: LoadedSpec = { ...loaded, spec, derived: derive(spec) };
  try {
    const layout = planLayout(l, chipParams(l));
    const positions = spec.workload.context_len;
    const prog = stepProgram(layout, shapeOnly(l), positions - 1, 0);
    const cycles = programCycles(layout.p, l.derived, instructionsOf(prog)).map((c) => c.cycles);
    const by_part = tally(prog, cycles);
    const whole = cycles.reduce((s, c) => s + c, 0);
    const decode = whole - (by_part["host"] ?? 0);
    return {
      mapping,
      positions,
      cycles_per_token: decode,
      cycles_with_host: whole,
      seconds_per_token: decode / (spec.clock_mhz * 1e6),
      instructions: prog.instrs.length,
      by_part,
    };
  } catch (e) {
    if (e instanceof UserError) return { mapping, unavailable: e.message.replace(/^spec [^:]*: /, "") };
    throw e;
  }
}

/** A model result with the chip's prediction for each of its mappings. */
export function withChipPrediction<R extends { mappings: Partial<Record<AttentionMapping, unknown>> }>(r: R, loaded: LoadedSpec): R & { chip: Partial<Record<AttentionMapping, ChipPrediction | ChipUnavailable>> } {
  const chip: Partial<Record<AttentionMapping, ChipPrediction | ChipUnavailable>> = {};
  for (const [m, v] of Object.entries(r.mappings) as [AttentionMapping, unknown][]) {
    // A mapping the chip cannot run at all is said so by the model already.
    if (typeof v === "object" && v !== null && !("unavailable" in v)) chip[m] = predictChipToken(loaded, m);
  }
  return { ...r, chip };
}
