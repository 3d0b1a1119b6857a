// The analytical model of a spec, all of it: decode per mapping in seconds and in cycles, prefill,
// sizing, energy, the inverse question and the comparison with the seed. The CLI, the reports and
// (later) the RTL harness all call this one function.
import { mappingInfeasibility } from "../spec/checks.js";
import type { Derived } from "../spec/derive.js";
import type { LoadedSpec } from "../spec/load.js";
import { ATTENTION_MAPPINGS, type AttentionMapping, type Spec } from "../spec/schema.js";
import { decodeTime, decodeWork, utilisation, type DecodeTime, type DecodeWork, type Utilisation } from "./decode.js";
import { energyPerToken, type EnergyPerToken } from "./energy.js";
import { inverse, type InverseAnswer } from "./inverse.js";
import { prefillTime, type PrefillTime } from "./prefill.js";
import { cycleRates, secondsRates, type Rates } from "./rates.js";
import { compareWithSeed, type SeedComparison } from "./seed.js";
import { sizing, type Sizing } from "./sizing.js";
import type { ChipPrediction, ChipUnavailable } from "../compiler/predict.js";

export interface MappingModel {
  mapping: AttentionMapping;
  banks_per_head: number;
  work: DecodeWork;
  utilisation: Utilisation;
  decode: DecodeTime;
  decode_cycles: DecodeTime;
  tokens_per_s: number;
  tokens_per_s_without_lambda: number;
  prefill: PrefillTime;
  prefill_cycles: PrefillTime;
  energy?: EnergyPerToken;
  inverse?: InverseAnswer;
}

export interface UnavailableMapping {
  mapping: AttentionMapping;
  unavailable: string;
}

export interface ModelResult {
  spec: Spec;
  derived: Derived;
  rates: { seconds: Rates; cycles: Rates };
  mappings: Partial<Record<AttentionMapping, MappingModel | UnavailableMapping>>;
  sizing: Sizing;
  seed: SeedComparison;
  /**
   * The chip's own prediction per mapping (generator/compiler/predict.ts: the compiled step through
   * the instruction-level cycle model), when the caller adds it (withChipPrediction).
   */
  chip?: Partial<Record<AttentionMapping, ChipPrediction | ChipUnavailable>>;
}

export interface ModelOptions {
  /** Which mappings to model; default: the spec's own. */
  mappings?: readonly AttentionMapping[];
  targetTokensPerS?: number;
}

export function isAvailable(m: MappingModel | UnavailableMapping | undefined): m is MappingModel {
  return m !== undefined && !("unavailable" in m);
}

function modelMapping(spec: Spec, d: Derived, mapping: AttentionMapping, seconds: Rates, cycles: Rates, target?: number): MappingModel | UnavailableMapping {
  const infeasible = mappingInfeasibility(d, mapping);
  if (infeasible) return { mapping, unavailable: `${infeasible.path}: ${infeasible.message}` };
  const work = decodeWork(d, mapping, spec.workload.context_len);
  const decode = decodeTime(work, seconds);
  return {
    mapping,
    banks_per_head: work.banks_per_head,
    work,
    utilisation: utilisation(work, d.banks),
    decode,
    decode_cycles: decodeTime(work, cycles),
    tokens_per_s: 1 / decode.total.time,
    tokens_per_s_without_lambda: 1 / decode.total.bandwidth,
    prefill: prefillTime(d, mapping, seconds, spec.workload.prompt_len),
    prefill_cycles: prefillTime(d, mapping, cycles, spec.workload.prompt_len),
    ...(spec.energy ? { energy: energyPerToken(work, spec.energy) } : {}),
    ...(target !== undefined ? { inverse: inverse(d, work, seconds, target) } : {}),
  };
}

export function runModel(loaded: Pick<LoadedSpec, "spec" | "derived">, options: ModelOptions = {}): ModelResult {
  const { spec, derived: d } = loaded;
  const seconds = secondsRates(d);
  const cycles = cycleRates(d);
  const wanted = options.mappings ?? [d.mapping];
  const mappings: ModelResult["mappings"] = {};
  for (const mapping of ATTENTION_MAPPINGS) {
    if (wanted.includes(mapping)) mappings[mapping] = modelMapping(spec, d, mapping, seconds, cycles, options.targetTokensPerS);
  }
  // The seed comparison needs both mappings' seconds view whatever was asked for.
  const decode: Partial<Record<AttentionMapping, DecodeTime>> = {};
  let prefill: PrefillTime | undefined;
  for (const mapping of ATTENTION_MAPPINGS) {
    const m = mappings[mapping] ?? (mappingInfeasibility(d, mapping) ? undefined : modelMapping(spec, d, mapping, seconds, cycles));
    if (isAvailable(m)) {
      decode[mapping] = m.decode;
      prefill ??= m.prefill;
    }
  }
  return {
    spec,
    derived: d,
    rates: { seconds, cycles },
    mappings,
    sizing: sizing(spec, d),
    seed: compareWithSeed({ spec, derived: d, decode, ...(prefill ? { prefill } : {}) }),
  };
}
