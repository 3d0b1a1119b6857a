// Cross-field checks: what the schema cannot see field by field. Errors stop the run; warnings are
// printed and the run goes on. Each problem names the field path, its value and what was expected.
import { type Derived } from "./derive.js";
import type { AttentionMapping, Spec } from "./schema.js";

export interface Problem {
  path: string;
  message: string;
}

export interface CheckResult {
  errors: Problem[];
  warnings: Problem[];
}

function nearestMultiples(value: number, of: number): string {
  const lo = Math.floor(value / of) * of;
  const hi = lo + of;
  return lo > 0 ? `${lo} or ${hi}` : `${hi}`;
}

function multipleOf(path: string, value: number, ofPath: string, of: number): Problem | undefined {
  return value % of === 0
    ? undefined
    : {
        path,
        message: `${value} is not a multiple of ${ofPath} (${of}); expected a multiple such as ${nearestMultiples(value, of)}`,
      };
}

/** Multipliers the bank builds: min(chip.bank.mac_lanes, weights per BMEM word) (generator/model/cycles.ts bankGeometry). */
function bankLanes(spec: Spec): { lanes: number; weightsPerWord: number } {
  const weightsPerWord = Math.floor(spec.chip.bank.read_bits / spec.numerics.weight_bits);
  return { lanes: Math.min(spec.chip.bank.mac_lanes, weightsPerWord), weightsPerWord };
}

function divisorsOf(n: number): number[] {
  const out: number[] = [];
  for (let k = 1; k <= n; k++) if (n % k === 0) out.push(k);
  return out;
}

/** True when one of a, b divides the other. */
function nested(a: number, b: number): boolean {
  return a > 0 && b > 0 && (a % b === 0 || b % a === 0);
}

/** chip.bus.bits values near `bits` (multiples of activation_bits) whose beat nests with `width`. */
function busBitsThatNest(spec: Spec, width: number): string {
  const dies = spec.chip.dies;
  const a = spec.numerics.activation_bits;
  const ok: number[] = [];
  for (let b = a; b <= Math.max(4 * width, 4 * spec.chip.bus.bits) && ok.length < 64; b += a) if (nested(dies * b, width)) ok.push(b);
  if (ok.length === 0) return "";
  const near = [...ok].sort((x, y) => Math.abs(x - spec.chip.bus.bits) - Math.abs(y - spec.chip.bus.bits) || x - y).slice(0, 2).sort((x, y) => x - y);
  return `; e.g. chip.bus.bits = ${near.join(" or ")}`;
}

/** The bank RTL issues `lanes` weights per beat from a BMEM word: the lanes must divide its weights. */
function lanesDivideWord(spec: Spec): Problem | undefined {
  const { lanes, weightsPerWord } = bankLanes(spec);
  if (weightsPerWord < 1 || weightsPerWord % lanes === 0) return undefined;
  return {
    path: "chip.bank.mac_lanes",
    message:
      `${spec.chip.bank.mac_lanes} does not divide the ${weightsPerWord} weights of a BMEM word (chip.bank.read_bits / numerics.weight_bits = ` +
      `${spec.chip.bank.read_bits} / ${spec.numerics.weight_bits}) and is smaller; the bank needs lanes that divide it (e.g. ` +
      `${divisorsOf(weightsPerWord).join(", ")}) or at least ${weightsPerWord}`,
  };
}

/**
 * A broadcast beat (dies × bus.bits) lands in the banks' BRAM, whose word is one MAC beat of
 * activations (lanes × activation_bits): one must divide the other (the die packs narrower beats
 * into a BRAM word; a wider beat holds several MAC beats and the bank reads slices of it).
 */
function broadcastMeetsBram(spec: Spec): Problem | undefined {
  const { lanes, weightsPerWord } = bankLanes(spec);
  if (weightsPerWord < 1 || lanes < 1) return undefined;
  const beat = spec.chip.dies * spec.chip.bus.bits;
  const act = lanes * spec.numerics.activation_bits;
  if (nested(beat, act)) return undefined;
  return {
    path: "chip.bus.bits",
    message:
      `a broadcast beat of chip.dies × chip.bus.bits = ${spec.chip.dies} × ${spec.chip.bus.bits} = ${beat} bits and a bank's BRAM word of ` +
      `${lanes} MAC lanes × numerics.activation_bits = ${act} bits (lanes = min(chip.bank.mac_lanes, chip.bank.read_bits / numerics.weight_bits)) ` +
      `must divide one another (the die packs narrower beats into a BRAM word; a wider beat holds whole MAC beats)${busBitsThatNest(spec, act)}`,
  };
}

/** Weights and KV rows reach BMEM over the bus: a broadcast beat and a BMEM word must divide one another. */
function broadcastMeetsBmem(spec: Spec): Problem | undefined {
  const beat = spec.chip.dies * spec.chip.bus.bits;
  const word = spec.chip.bank.read_bits;
  if (nested(beat, word)) return undefined;
  return {
    path: "chip.bus.bits",
    message:
      `a broadcast beat of chip.dies × chip.bus.bits = ${spec.chip.dies} × ${spec.chip.bus.bits} = ${beat} bits and a BMEM word of ` +
      `chip.bank.read_bits = ${word} bits must divide one another (the die splits a beat into BMEM words or packs beats into one)` +
      `${busBitsThatNest(spec, word)}`,
  };
}

/**
 * The bank's KV mode (a GEMV on rows of kv_bits fields, templates/rtl/bank.v.hbs) multiplies KV
 * fields on the weight multipliers, widened to kv_bits: kv_bits must be a multiple of weight_bits.
 */
function kvWidensWeight(spec: Spec): Problem | undefined {
  const { weight_bits: w, kv_bits: kv } = spec.numerics;
  if (kv % w === 0) return undefined;
  const up = Math.ceil(kv / w) * w;
  return {
    path: "numerics.kv_bits",
    message:
      `${kv} is not a multiple of numerics.weight_bits (${w}); the bank RTL's KV-mode GEMV runs KV fields on the weight multipliers ` +
      `widened to kv_bits, so it needs kv_bits = weight_bits × n, e.g. ${up > w ? `${w} or ${up}` : `${w}`}`,
  };
}

/**
 * A KV-mode MAC beat is lanes × kv_bits bits of BMEM: it must divide a BMEM word (a word holds
 * whole beats) or be a whole number of words (the bank reads them one per cycle).
 */
function kvBeatMeetsWord(spec: Spec): Problem | undefined {
  const { lanes, weightsPerWord } = bankLanes(spec);
  const { kv_bits: kv } = spec.numerics;
  const word = spec.chip.bank.read_bits;
  if (weightsPerWord < 1 || lanes < 1 || word % kv !== 0) return undefined; // reported elsewhere
  const beat = lanes * kv;
  if (nested(beat, word)) return undefined;
  const ok = divisorsOf(weightsPerWord).filter((l) => nested(l * kv, word));
  return {
    path: "numerics.kv_bits",
    message:
      `a KV-mode MAC beat of ${lanes} lanes × numerics.kv_bits = ${lanes} × ${kv} = ${beat} bits and a BMEM word of chip.bank.read_bits = ` +
      `${word} bits must divide one another (lanes = min(chip.bank.mac_lanes, chip.bank.read_bits / numerics.weight_bits)); the bank ` +
      `either takes several KV beats from one word or reads a beat's words one per cycle` +
      (ok.length > 0 ? `; e.g. chip.bank.mac_lanes = ${ok.join(", ")}` : ""),
  };
}

/** Why a mapping cannot run on this chip, or undefined when it can. */
export function mappingInfeasibility(d: Derived, mapping: AttentionMapping): Problem | undefined {
  const kvHeads = d.model.num_key_value_heads;
  if (mapping === "bank_per_head" && kvHeads > d.banks) {
    return {
      path: "workload.attention_mapping",
      message: `bank_per_head needs one bank per KV head: ${kvHeads} heads, but the chip has ${d.banks} banks (chip.dies × chip.banks_per_die); use more banks or a model with fewer KV heads`,
    };
  }
  if (mapping === "banks_per_head" && d.banks_per_head * kvHeads > d.banks) {
    const fit = Math.floor(d.banks / kvHeads);
    return {
      path: "workload.banks_per_head",
      message: `${d.banks_per_head} banks per head × ${kvHeads} KV heads = ${d.banks_per_head * kvHeads} banks, but the chip has ${d.banks}; expected at most ${fit > 0 ? fit : "0 (too few banks for this mapping)"}`,
    };
  }
  return undefined;
}

/** Bytes the bank memories must hold for a context of `contextLen` tokens: weights + KV cache. */
export function bankStorageBytes(d: Derived, contextLen: number): number {
  return d.weights_in_gemv * d.bytes.weight + contextLen * d.kv_bytes_per_token;
}

/** activation_bits the controller ALUs' tables and formats are built for. */
export const RTL_ACTIVATION_BITS = { min: 4, max: 12 } as const;

/**
 * What the generated RTL needs beyond what the model needs: errors for `gen-rtl <spec>` and
 * `gen-rtl sim`, not for `gen-rtl model` (the analytical model has no such limits).
 */
export function checkRtl(spec: Spec, d: Derived): Problem[] {
  const problems: Problem[] = [];
  const push = (p: Problem | undefined) => {
    if (p) problems.push(p);
  };
  push(lanesDivideWord(spec));
  push(broadcastMeetsBram(spec));
  push(broadcastMeetsBmem(spec));
  push(kvWidensWeight(spec));
  push(kvBeatMeetsWord(spec));
  const a = spec.numerics.activation_bits;
  if (a < RTL_ACTIVATION_BITS.min || a > RTL_ACTIVATION_BITS.max) {
    problems.push({
      path: "numerics.activation_bits",
      message: `${a} is outside what the controller ALUs support; expected ${RTL_ACTIVATION_BITS.min} … ${RTL_ACTIVATION_BITS.max}`,
    });
  }
  const lanes = spec.chip.controller.vector_lanes;
  const ops = spec.chip.controller.vector_ops;
  if (lanes % 2 !== 0 && (ops === undefined || ops.includes("rope"))) {
    problems.push({
      path: "chip.controller.vector_lanes",
      message: `${lanes} is odd; the controller's RoPE rotates lane pairs, expected an even number such as ${lanes + 1}`,
    });
  }
  const hd = d.model.head_dim;
  if (!Number.isInteger(hd) || hd % 2 !== 0) {
    problems.push({ path: "model", message: `head_dim ${hd} (hidden_size / num_attention_heads) must be an even integer for RoPE` });
  }
  return problems;
}

export function checkSpec(spec: Spec, d: Derived): CheckResult {
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  const push = (list: Problem[], p: Problem | undefined) => {
    if (p) list.push(p);
  };
  const m = d.model;
  const { numerics, chip, workload } = spec;

  if (m.hidden_size % m.num_attention_heads !== 0) {
    errors.push({
      path: "model.hidden_size",
      message: `${m.hidden_size} is not a multiple of model.num_attention_heads (${m.num_attention_heads}); expected hidden_size = heads × head_dim`,
    });
  }
  if (m.num_attention_heads % m.num_key_value_heads !== 0) {
    errors.push({
      path: "model.num_key_value_heads",
      message: `${m.num_key_value_heads} does not divide model.num_attention_heads (${m.num_attention_heads}); expected a divisor (GQA groups query heads evenly)`,
    });
  }
  push(errors, multipleOf("chip.bank.read_bits", chip.bank.read_bits, "numerics.weight_bits", numerics.weight_bits));
  push(errors, multipleOf("chip.bank.read_bits", chip.bank.read_bits, "numerics.kv_bits", numerics.kv_bits));
  push(errors, multipleOf("chip.bus.bits", chip.bus.bits, "numerics.activation_bits", numerics.activation_bits));
  push(
    errors,
    multipleOf("chip.controller.mem_bits", chip.controller.mem_bits, "numerics.activation_bits", numerics.activation_bits),
  );
  const ops = chip.controller.vector_ops;
  const twice = ops?.filter((op, i) => ops.indexOf(op) !== i) ?? [];
  if (twice.length > 0) {
    errors.push({ path: "chip.controller.vector_ops", message: `${[...new Set(twice)].join(", ")} listed more than once; list each op once` });
  }
  if (workload.prompt_len > workload.context_len) {
    errors.push({
      path: "workload.prompt_len",
      message: `${workload.prompt_len} is longer than workload.context_len (${workload.context_len}); expected prompt_len ≤ context_len (the context includes the prompt)`,
    });
  }
  push(errors, mappingInfeasibility(d, d.mapping));

  // The weights and the KV cache of the whole context must fit in the banks' memory.
  const capacity = d.banks * chip.bank.memory_bytes;
  const need = bankStorageBytes(d, workload.context_len);
  if (need > capacity) {
    const weights = d.weights_in_gemv * d.bytes.weight;
    const fits = Math.floor((capacity - weights) / d.kv_bytes_per_token);
    errors.push({
      path: "chip.bank.memory_bytes",
      message:
        `${chip.bank.memory_bytes} per bank × ${d.banks} banks = ${capacity} bytes, but weights (${weights}) + KV cache for ` +
        `context_len ${workload.context_len} (${workload.context_len * d.kv_bytes_per_token}) need ${need}: ${need - capacity} bytes short; ` +
        (fits > 0
          ? `the longest context that fits is ${fits}, or give each bank at least ${Math.ceil(need / d.banks)} bytes`
          : `the weights alone do not fit; give each bank at least ${Math.ceil(need / d.banks)} bytes`),
    });
  }

  // Warnings: legal, but probably not what the architect wants.
  const weightsPerRead = chip.bank.read_bits / numerics.weight_bits;
  if (chip.bank.mac_lanes < weightsPerRead) {
    warnings.push({
      path: "chip.bank.mac_lanes",
      message: `${chip.bank.mac_lanes} lanes consume fewer weights per cycle than a bank read delivers (${weightsPerRead}); GEMVs are compute-bound, not bandwidth-bound`,
    });
  }
  if (chip.bank.mac_lanes > weightsPerRead) {
    warnings.push({
      path: "chip.bank.mac_lanes",
      message: `${chip.bank.mac_lanes} lanes consume more weights per cycle than a bank read delivers (${weightsPerRead}); the generated bank builds ${weightsPerRead} multipliers (one BMEM word a beat), so the RTL's compute-bound work (prefill's GEMMs) is slower than the analytical model, which counts ${chip.bank.mac_lanes}`,
    });
  }
  const maxCols = Math.max(...d.gemvs.map((g) => g.cols));
  const safeAcc = numerics.weight_bits + numerics.activation_bits + Math.ceil(Math.log2(maxCols));
  if (numerics.accumulator_bits < safeAcc) {
    warnings.push({
      path: "numerics.accumulator_bits",
      message: `${numerics.accumulator_bits} bits can overflow on a ${maxCols}-long dot product of full-scale operands; ${safeAcc} bits never do (weight_bits + activation_bits + ceil(log2(${maxCols})))`,
    });
  }
  for (const key of ["banks", "controller_bank", "controller"] as const) {
    const b = d.bandwidth[key];
    if (b.source === "override" && Math.abs(b.bytes_per_s - b.derived_bytes_per_s) > 1e-9 * b.bytes_per_s) {
      warnings.push({
        path: `bandwidth_gib_per_s.${key}`,
        message: `${b.bytes_per_s / 2 ** 30} GiB/s overrides the ${(b.derived_bytes_per_s / 2 ** 30).toPrecision(6)} GiB/s that clock × widths give; the seconds view uses the override, the cycle view the widths`,
      });
    }
  }
  return { errors, warnings };
}
