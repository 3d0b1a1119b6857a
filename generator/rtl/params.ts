// Every parameter of the generated bank RTL, computed once from the spec and its derived
// parameters. Templates only print these; the golden model and the testbenches read them too.
import { UserError } from "../errors.js";
import { bankGeometry } from "../model/cycles.js";
import { clog2 } from "../model/cycles-controller.js";
import type { LoadedSpec } from "../spec/load.js";

export interface BankParams {
  /** Module-name prefix (spec.name). */
  name: string;
  weight_bits: number;
  /** Bits per KV-cache element (numerics.kv_bits): the field width of a gemv with kv = 1. */
  kv_bits: number;
  /** KV elements per BMEM word: read_bits / kv_bits. */
  kv_per_word: number;
  /** KV-mode beats per BMEM word: read_bits / (lanes × kv_bits) when that is ≥ 1, else 1. */
  kv_beats_per_word: number;
  /** BMEM words per KV-mode beat: lanes × kv_bits / read_bits when that is ≥ 1, else 1. */
  kv_words_per_beat: number;
  /** Bits of the multipliers' weight operand: max(weight_bits, kv_bits) (weights are sign-extended). */
  mul_bits: number;
  act_bits: number;
  acc_bits: number;
  /** Bits per BMEM word. */
  read_bits: number;
  /** chip.bank.mac_lanes as written in the spec. */
  spec_lanes: number;
  /** Multipliers built: min(spec_lanes, weights_per_word). */
  lanes: number;
  weights_per_word: number;
  /** Beats per BMEM word. */
  beats_per_word: number;
  /** Adder-tree levels: ceil(log2 lanes). */
  tree_levels: number;
  /** Adder-tree width: min(acc_bits, mul_bits + act_bits + tree_levels). */
  tree_bits: number;
  bmem_depth: number;
  /** Bits of one MAC beat of activations: lanes × act_bits. */
  act_word_bits: number;
  /** Bits of a broadcast beat: chip.dies × chip.bus.bits. */
  bcast_bits: number;
  /** Bits per BRAM word: max(act_word_bits, bcast_bits). */
  bram_width: number;
  /** MAC beats per BRAM word: bram_width / act_word_bits (≥ 1). */
  bram_slices: number;
  bram_depth: number;
  bmem_addr_bits: number;
  bram_addr_bits: number;
  /** Width of cmd_rows: holds 0 .. bmem_depth. */
  rows_bits: number;
  /** Width of cmd_cols: holds 0 .. max_cols. */
  cols_bits: number;
  /** Longest GEMV row the BRAM holds: bram_depth × bram_slices × lanes. */
  max_cols: number;
  /** GEMV pipeline latency in cycles (see generator/model/cycles.ts). */
  gemv_latency: number;
  /** Most activation vectors of a GEMM (workload.prefill_batch): the MAC array's accumulators. */
  batch: number;
  /** Width of cmd_batch: holds 0 .. batch. */
  batch_bits: number;
}

/** ceil(log2(n)) for n ≥ 1, as Verilog's $clog2 (one definition, in the controller's cycle model). */
export { clog2 };

export function bankParams(loaded: LoadedSpec): BankParams {
  const { spec, derived } = loaded;
  const g = bankGeometry(derived);
  const where = `spec ${loaded.file}`;
  const act_bits = spec.numerics.activation_bits;
  const acc_bits = spec.numerics.accumulator_bits;
  const bmem_depth = Math.floor((spec.chip.bank.memory_bytes * 8) / g.read_bits);
  // BRAM word: a MAC beat of activations, or a whole broadcast beat when that is wider (then the
  // word holds bram_slices MAC beats). checks.ts makes the two widths divide one another.
  const act_word_bits = g.lanes * act_bits;
  const bcast_bits = spec.chip.dies * spec.chip.bus.bits;
  const bram_width = Math.max(act_word_bits, bcast_bits);
  const bram_slices = bram_width / act_word_bits;
  const bram_depth = Math.floor((spec.chip.bank.bram_bytes * 8) / bram_width);
  if (bmem_depth < 2) {
    throw new UserError(
      `${where}: chip.bank.memory_bytes: ${spec.chip.bank.memory_bytes} holds ${bmem_depth} words of chip.bank.read_bits (${g.read_bits}); the bank RTL needs at least 2 (${Math.ceil((2 * g.read_bits) / 8)} bytes)`,
    );
  }
  if (bram_depth < 2) {
    throw new UserError(
      `${where}: chip.bank.bram_bytes: ${spec.chip.bank.bram_bytes} holds ${bram_depth} words of ${bram_width} bits (max(${g.lanes} lanes × numerics.activation_bits, chip.dies × chip.bus.bits)); the bank RTL needs at least 2 (${Math.ceil((2 * bram_width) / 8)} bytes)`,
    );
  }
  const max_cols = bram_depth * bram_slices * g.lanes;
  const kv_bits = spec.numerics.kv_bits;
  const mul_bits = Math.max(g.weight_bits, kv_bits);
  return {
    name: spec.name,
    weight_bits: g.weight_bits,
    kv_bits,
    kv_per_word: Math.floor(g.read_bits / kv_bits),
    kv_beats_per_word: g.kv_beats_per_word,
    kv_words_per_beat: g.kv_words_per_beat,
    mul_bits,
    act_bits,
    acc_bits,
    read_bits: g.read_bits,
    spec_lanes: spec.chip.bank.mac_lanes,
    lanes: g.lanes,
    weights_per_word: g.weights_per_word,
    beats_per_word: g.beats_per_word,
    tree_levels: g.tree_levels,
    tree_bits: Math.min(acc_bits, mul_bits + act_bits + g.tree_levels),
    bmem_depth,
    act_word_bits,
    bcast_bits,
    bram_width,
    bram_slices,
    bram_depth,
    bmem_addr_bits: clog2(bmem_depth),
    bram_addr_bits: clog2(bram_depth),
    rows_bits: clog2(bmem_depth + 1),
    cols_bits: clog2(max_cols + 1),
    max_cols,
    gemv_latency: g.gemv_latency,
    batch: derived.prefill_batch,
    batch_bits: clog2(derived.prefill_batch + 1),
  };
}
