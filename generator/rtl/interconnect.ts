// The die broadcast bus (templates/rtl/{bus_link,result_packer,die,interconnect}.v.hbs): every
// parameter computed once from the spec; templates only print them; the golden model and the
// testbench read the same object.
import { UserError } from "../errors.js";
import type { LoadedSpec } from "../spec/load.js";
import { rtlModule, type RtlModule } from "./module.js";
import { bankParams, clog2 } from "./params.js";
import { render } from "./render.js";

export interface InterconnectParams {
  name: string;
  dies: number;
  banks_per_die: number;
  /** Bits of each die's link (chip.bus.bits). */
  link_bits: number;
  /** Data bits of a broadcast beat: dies × link_bits (the model's CBM per cycle). */
  bcast_bits: number;
  /** λ in cycles. */
  latency: number;
  /**
   * Bits of a broadcast target: 0 = BRAM of every bank, k + 1 = BMEM of bank k, and with the top
   * bit set, k + 1 in the low bits = BRAM of bank k only: clog2(banks + 1) + 1.
   */
  tgt_w: number;
  /** Bits of a broadcast word address: max(bram_aw, bmem_aw). */
  addr_w: number;
  /** Bits of a broadcast slot (slice of a word assembled from several beats): ≥ 1. */
  slot_w: number;
  /** BRAM words, their bits and address bits (see BankParams). */
  bram_depth: number;
  bram_w: number;
  bram_aw: number;
  /** BMEM words, their bits (chip.bank.read_bits) and address bits. */
  bmem_depth: number;
  read_bits: number;
  bmem_aw: number;
  /** Beats per BRAM word (≥ 1). */
  bram_r: number;
  /** BMEM words per beat when a beat is at least a word (else 1). */
  bmem_split: number;
  /** Beats per BMEM word when a word is wider than a beat (else 1). */
  bmem_r: number;
  /** DieRAM beats. */
  dieram_depth: number;
  acc_bits: number;
  elem_bits: number;
  /** Elements per return-link word. */
  per_word: number;
  /** Most results one bank returns per GEMV or attention step. */
  max_count: number;
  count_w: number;
  /** Most vectors of a GEMM (workload.prefill_batch): the packers' words being filled. */
  batch: number;
  /** Bits of cfg_batch (0 .. batch) and of a gather's vector index gc_tok. */
  batch_w: number;
  tok_w: number;
  /** Packed words each bank's packer holds (a power of two ≥ 2). */
  fifo_depth: number;
  /** Bits of the requantisation shift: $clog2(acc_bits). */
  shift_w: number;
  /** Bits per KV element (numerics.kv_bits): the field of a V^T append (st_vt). */
  kv_bits: number;
  /** Write-enable fields of a BMEM word: read_bits / kv_bits. */
  kv_fields: number;
  /** Bits of a field index (≥ 1). */
  vt_fw: number;
  /** Bits of an append's field count (0 .. bmem_depth). */
  vt_nw: number;
}

/** Cycles from a broadcast beat accepted by a die (with DieRAM empty) to its BRAM / first BMEM write: see {name}_die. */
export const BROADCAST_FANOUT_LATENCY = 2;
/** Cycles from a gather command offered to its first word leaving the die (before λ). */
export const GATHER_COMMAND_LATENCY = 1;

export function interconnectParams(loaded: LoadedSpec): InterconnectParams {
  const { spec, derived: d } = loaded;
  const where = `spec ${loaded.file}`;
  const link_bits = spec.chip.bus.bits;
  const bcast_bits = spec.chip.dies * link_bits;
  const dieram_depth = Math.floor((spec.chip.die.dieram_bytes * 8) / bcast_bits);
  if (dieram_depth < 2) {
    throw new UserError(
      `${where}: chip.die.dieram_bytes: ${spec.chip.die.dieram_bytes} holds ${dieram_depth} broadcast beats of ${bcast_bits} bits (chip.dies × chip.bus.bits); the die needs at least 2 (${Math.ceil((2 * bcast_bits) / 8)} bytes)`,
    );
  }
  const elem_bits = spec.numerics.activation_bits;
  const per_word = link_bits / elem_bits;
  const bank = bankParams(loaded);
  const bram_r = bank.bram_width / bcast_bits;
  const bmem_split = bcast_bits >= bank.read_bits ? bcast_bits / bank.read_bits : 1;
  const bmem_r = bank.read_bits > bcast_bits ? bank.read_bits / bcast_bits : 1;
  const bram_aw = clog2(bank.bram_depth);
  const bmem_aw = clog2(bank.bmem_depth);
  const rowsPerBank = Math.max(...d.gemvs.map((g) => Math.ceil(g.rows / d.banks)));
  const max_count = Math.max(rowsPerBank, spec.workload.context_len * d.model.group);
  const words = Math.ceil(max_count / per_word);
  return {
    name: spec.name,
    dies: spec.chip.dies,
    banks_per_die: spec.chip.banks_per_die,
    link_bits,
    bcast_bits,
    latency: spec.chip.bus.latency_cycles,
    tgt_w: clog2(d.banks + 1) + 1,
    addr_w: Math.max(bram_aw, bmem_aw),
    slot_w: Math.max(1, clog2(Math.max(bram_r, bmem_r))),
    bram_depth: bank.bram_depth,
    bram_w: bank.bram_width,
    bram_aw,
    bmem_depth: bank.bmem_depth,
    read_bits: bank.read_bits,
    bmem_aw,
    bram_r,
    bmem_split,
    bmem_r,
    dieram_depth,
    acc_bits: spec.numerics.accumulator_bits,
    elem_bits,
    per_word,
    max_count,
    count_w: clog2(max_count + 1),
    batch: d.prefill_batch,
    batch_w: clog2(d.prefill_batch + 1),
    tok_w: d.prefill_batch > 1 ? clog2(d.prefill_batch) : 1,
    fifo_depth: Math.max(2, 2 ** clog2(words)),
    shift_w: clog2(spec.numerics.accumulator_bits),
    kv_bits: bank.kv_bits,
    kv_fields: bank.kv_per_word,
    vt_fw: Math.max(1, clog2(bank.kv_per_word)),
    vt_nw: clog2(bank.bmem_depth + 1),
  };
}

// The templates print fields of InterconnectParams by name (the die's BANKS is banks_per_die).
export function busLinkModule(p: InterconnectParams): RtlModule {
  return rtlModule(`${p.name}_bus_link`, render("rtl/bus_link.v.hbs", { name: p.name, width: p.link_bits, latency: p.latency }));
}

export function resultPackerModule(p: InterconnectParams): RtlModule {
  return rtlModule(`${p.name}_result_packer`, render("rtl/result_packer.v.hbs", p));
}

export function dieModule(p: InterconnectParams): RtlModule {
  return rtlModule(`${p.name}_die`, render("rtl/die.v.hbs", { ...p, banks: p.banks_per_die }), [`${p.name}_dpram`, `${p.name}_result_packer`]);
}

export function interconnectModule(p: InterconnectParams): RtlModule {
  return rtlModule(`${p.name}_interconnect`, render("rtl/interconnect.v.hbs", p), [`${p.name}_bus_link`, `${p.name}_die`]);
}

/** The bus's modules (the die's DieRAM is the shared {name}_dpram). */
export function interconnectModules(p: InterconnectParams): RtlModule[] {
  return [busLinkModule(p), resultPackerModule(p), dieModule(p), interconnectModule(p)];
}
