// Cycles of a decode step three ways, and their breakdown by the seed's parts:
//   measured     the RTL: each instruction's accept edge to the next accept edge, summed;
//   model        the instruction-level cycle model (generator/model/cycles-chip.ts programCycles)
//                over the same instructions, summed the same way;
//   analytical   the seed's per-token model (generator/model/decode.ts) in cycle units, as
//                runModel builds it: decodeTime(decodeWork(derived, mapping, L), cycleRates(derived))
//                with L = pos + 1 positions attended.
// A step's sums come with and without host I/O (instructions tagged part "host": the embedding row
// in, the layer outputs and the logits out); the seed's decode time has no host I/O, so "decode"
// (without) is the one to set beside the analytical model.
// Breakdown components: an instruction's tag (generator/compiler/program.ts) part, with
// controller-bank and intra-controller split by stream, the analytical model's six components:
//   intra_bank_weights       ↔ intra_bank.weights
//   intra_bank_kv            ↔ intra_bank.kv
//   controller_bank_weights  ↔ controller_bank.weights (transfer + λ per transfer)
//   controller_bank_kv       ↔ controller_bank.kv (transfer + λ per transfer)
//   intra_controller_weights ↔ intra_controller.weights
//   intra_controller_kv      ↔ intra_controller.kv
//   host                     (not in the analytical model)
// The banks' GEMV runs beside the sequencer: a gemv instruction only starts the banks, and the
// next gather (or gemv) waits until they are idle. Counted by instruction, that wait would land on
// the gather (controller-bank) while it is the banks' work; bankWaitsToGemv moves each gather's and
// gemv's cycles beyond its own with idle banks (instructionCycles, the cycle model's standalone
// figure) to the GEMV it waited for, in the measured and the model column alike (sums unchanged).
// So intra-bank is the banks' time the sequencer could not hide behind other work.
// Per layer the analytical model has no breakdown of its own; it is affine in the layer count, so
// its share of one layer is (model(NL layers) - model(0 layers)) / NL, and model(0 layers) is what
// runs outside the layers (LM head, its transfers, the final norm and the logits' elements). Exact
// for every component but where a component's max(memory, compute) switches sides between the
// layers' GEMVs and the LM head.
import { instructionsOf, tally, type InstrTag, type Program } from "../../generator/compiler/index.js";
import { drainedShapes, instructionCycles } from "../../generator/model/cycles-chip.js";
import { decodeTime, decodeWork, type DecodeTime } from "../../generator/model/decode.js";
import { cycleRates } from "../../generator/model/rates.js";
import type { ChipParams } from "../../generator/rtl/chip.js";
import { derive, type Derived } from "../../generator/spec/derive.js";
import type { LoadedSpec } from "../../generator/spec/load.js";

export const COMPONENTS = [
  "intra_bank_weights",
  "intra_bank_kv",
  "controller_bank_weights",
  "controller_bank_kv",
  "intra_controller_weights",
  "intra_controller_kv",
  "host",
] as const;
export type Component = (typeof COMPONENTS)[number];
export type ModelComponent = Exclude<Component, "host">;
export const MODEL_COMPONENTS: readonly ModelComponent[] = COMPONENTS.filter((c): c is ModelComponent => c !== "host");

export type Components = Record<ModelComponent, number>;

/** The breakdown component of an instruction's tag. */
export function componentOf(tag: InstrTag): Component {
  if (tag.part === "controller_bank" || tag.part === "intra_controller") return `${tag.part}_${tag.stream}`;
  return tag.part;
}

/** The analytical model's components of one decode time (controller-bank: transfer + λ). */
export function componentsOf(t: DecodeTime): Components {
  return {
    intra_bank_weights: t.intra_bank.weights.time,
    intra_bank_kv: t.intra_bank.kv.time,
    controller_bank_weights: t.controller_bank.weights.transfer + t.controller_bank.weights.lambda,
    controller_bank_kv: t.controller_bank.kv.transfer + t.controller_bank.kv.lambda,
    intra_controller_weights: t.intra_controller.weights.time,
    intra_controller_kv: t.intra_controller.kv.time,
  };
}

export function sumOf(c: Components): number {
  return MODEL_COMPONENTS.reduce((s, k) => s + c[k], 0);
}

function analyticalFor(d: Derived, L: number): Components {
  return componentsOf(decodeTime(decodeWork(d, d.mapping, L), cycleRates(d)));
}

export interface Analytical {
  /** The whole token (decodeTime(...).total.time = the sum of the components). */
  token: Components;
  /** One layer's share. */
  perLayer: Components;
  /** Outside the layers (the model with 0 layers). */
  outside: Components;
}

/** The analytical model at L positions, in cycles, with its per-layer share. */
export function analyticalCycles(loaded: LoadedSpec, L: number): Analytical {
  const d = loaded.derived;
  const token = analyticalFor(d, L);
  const m = d.model;
  const noLayers = derive({
    ...loaded.spec,
    model: {
      hidden_size: m.hidden_size,
      intermediate_size: m.intermediate_size,
      num_hidden_layers: 0,
      num_attention_heads: m.num_attention_heads,
      num_key_value_heads: m.num_key_value_heads,
      vocab_size: m.vocab_size,
    },
  });
  const outside = analyticalFor(noLayers, L);
  const NL = m.num_hidden_layers;
  const perLayer = Object.fromEntries(MODEL_COMPONENTS.map((k) => [k, (token[k] - outside[k]) / NL])) as Components;
  return { token, perLayer, outside };
}

/**
 * Per-instruction cycles with the time each gather and gemv waited for busy banks moved to the
 * GEMV it waited for (the last gemv before it in the program); other instructions are unchanged.
 */
export function bankWaitsToGemv(p: ChipParams, d: Derived, prog: Program, perInstr: readonly number[]): number[] {
  const out = [...perInstr];
  const shapes = drainedShapes(instructionsOf(prog));
  let lastGemv = -1;
  prog.instrs.forEach(({ instr }, i) => {
    if (instr.op !== "gemv" && instr.op !== "gather") return;
    const shape = shapes[i] ?? { rows: 0, pack: false };
    const alone = instructionCycles(p, d, instr, shape.rows, shape.pack).cycles;
    const wait = out[i]! - alone;
    if (wait > 0 && lastGemv >= 0) {
      out[i] = alone;
      out[lastGemv] = out[lastGemv]! + wait;
    }
    if (instr.op === "gemv") lastGemv = i;
  });
  return out;
}

export interface PartCycles {
  component: Component;
  /** null: not measured (model engine). */
  measured: number | null;
  model: number;
  /** null for host I/O, which the analytical model leaves out. */
  analytical: number | null;
}

export interface CycleSums {
  /** Every instruction of the step. */
  whole: number;
  /** Without host I/O. */
  decode: number;
}

export interface LayerCycles {
  /** null: outside the layers. */
  layer: number | null;
  measured: CycleSums | null;
  model: CycleSums;
  /** The analytical model's share (no host I/O). */
  analytical: number;
  parts: PartCycles[];
}

export interface StepCycles {
  measured: CycleSums | null;
  model: CycleSums;
  analytical: number;
  parts: PartCycles[];
  layers: LayerCycles[];
}

/** A program's cycles (one number per instruction) with and without host I/O, over the instructions `keep` takes. */
export function cycleSums(prog: Program, perInstr: readonly number[], keep: (t: InstrTag) => boolean = () => true): CycleSums {
  let whole = 0;
  let decode = 0;
  prog.instrs.forEach(({ tag }, i) => {
    if (!keep(tag)) return;
    whole += perInstr[i]!;
    if (tag.part !== "host") decode += perInstr[i]!;
  });
  return { whole, decode };
}

function parts(prog: Program, measured: readonly number[] | null, model: readonly number[], analytical: Components, keep: (t: InstrTag) => boolean): PartCycles[] {
  const key = (t: InstrTag): string => (keep(t) ? componentOf(t) : "-");
  const m = measured ? tally(prog, measured, key) : null;
  const c = tally(prog, model, key);
  return COMPONENTS.map((component) => ({
    component,
    measured: m ? (m[component] ?? 0) : null,
    model: c[component] ?? 0,
    analytical: component === "host" ? null : analytical[component],
  }));
}

/**
 * A step's cycles: measured (null for the model engine) and instruction-model cycles per
 * instruction of `prog`, the analytical model at this step's L.
 */
export function stepCycles(prog: Program, measured: readonly number[] | null, model: readonly number[], analytical: Analytical, layers: number): StepCycles {
  const all = (): boolean => true;
  const inLayer =
    (l: number | null) =>
    (t: InstrTag): boolean =>
      t.layer === l;
  const layerList: (number | null)[] = [...Array.from({ length: layers }, (_, l) => l), null];
  return {
    measured: measured ? cycleSums(prog, measured, all) : null,
    model: cycleSums(prog, model, all),
    analytical: sumOf(analytical.token),
    parts: parts(prog, measured, model, analytical.token, all),
    layers: layerList.map((l) => {
      const a = l === null ? analytical.outside : analytical.perLayer;
      return {
        layer: l,
        measured: measured ? cycleSums(prog, measured, inLayer(l)) : null,
        model: cycleSums(prog, model, inLayer(l)),
        analytical: sumOf(a),
        parts: parts(prog, measured, model, a, inLayer(l)),
      };
    }),
  };
}
