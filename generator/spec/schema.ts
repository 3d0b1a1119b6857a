// The chip spec: the single source of the spec's types (z.infer) and of its JSON Schema.
// Every object is strict: an unknown key is an error, so a typo never silently falls back to a default.
import { z } from "zod";
import { MODEL_PRESET_NAMES } from "./models.js";

/** Identifiers reach Verilog module names, file names and tool command lines: keep them plain. */
export const IDENTIFIER = /^[a-z][a-z0-9_]{0,31}$/;

const posInt = (what: string) => z.int().min(1).describe(what);
const bits = (what: string) => z.int().min(1).max(32).describe(what);
const bytes = (what: string) => z.int().min(1).describe(`${what} (bytes)`);
const posNumber = (what: string) => z.number().positive().describe(what);
const nonNeg = (what: string) => z.number().min(0).describe(what);

/** The controller's vector ALU ops, in opcode order (templates/rtl/ctrl_valu.v.hbs). */
export const VECTOR_OPS = ["add", "mul", "sum", "max", "softmax", "rmsnorm", "silu", "rope", "requant"] as const;
export type VectorOp = (typeof VECTOR_OPS)[number];

export const numericsSchema = z
  .strictObject({
    weight_bits: bits("Bits per weight in bank memory (the seed: 4)"),
    kv_bits: bits("Bits per K or V element in the KV cache (the seed: 4)"),
    activation_bits: bits(
      "Bits per activation, attention score and vector element sent over the bus or handled by the controller (the seed: 4)",
    ),
    accumulator_bits: z.int().min(2).max(64).describe("Width of the MAC accumulators"),
  })
  .describe("Number formats (two's-complement integers)");

export const bankSchema = z
  .strictObject({
    memory_bytes: bytes("BMEM capacity of one bank: weights and KV cache"),
    bram_bytes: bytes("Dual-port BRAM cache of one bank: MAC operand port + write port"),
    mac_lanes: posInt("Multipliers per bank (weights consumed per cycle)"),
    read_bits: posInt("Bits read from bank memory per cycle; a multiple of weight_bits and kv_bits"),
  })
  .describe("One bank: memory, BRAM cache and MAC array");

export const chipSchema = z
  .strictObject({
    dies: posInt("Dies on the chip"),
    banks_per_die: posInt("Banks on each die"),
    bank: bankSchema,
    die: z.strictObject({ dieram_bytes: bytes("DieRAM broadcast buffer of one die") }).describe("One die"),
    bus: z
      .strictObject({
        bits: posInt("Width of each die's link of the controller <-> die broadcast bus, in bits per cycle"),
        latency_cycles: z.int().min(0).describe("Fixed latency of one bus transfer (the seed's lambda), in cycles"),
      })
      .describe("Controller <-> die broadcast bus"),
    controller: z
      .strictObject({
        cram_bytes: bytes("CRAM: the controller's cache (softmax vectors)"),
        cmem_bytes: bytes("CMEM: the controller's scratch memory for intermediate results"),
        mem_bits: posInt("Bits per cycle between the controller's memories and its ALUs"),
        vector_lanes: posInt("Elements the controller's ALUs process per cycle"),
        divider_bits: z
          .int()
          .min(1)
          .max(64)
          .optional()
          .describe(
            "Quotient bits the controller's serial divider (softmax's reciprocal, RMSNorm's mean) computes a cycle, as that many restoring steps chained in one cycle (default 4): more cuts softmax and RMSNorm latency, at the price of a longer path and more LUTs",
          ),
        vector_ops: z
          .array(z.enum(VECTOR_OPS))
          .min(1)
          .optional()
          .describe(
            "The vector ALU ops the RTL builds (default: all). LLaMA decode needs add, mul, softmax, rmsnorm, silu, rope and requant; a smaller set saves area on a small FPGA (a vop of an op not built is a one-cycle nop)",
          ),
      })
      .describe("Controller: ALUs, CRAM, CMEM"),
  })
  .describe("The chip's structure and sizes");

export const bandwidthOverrideSchema = z
  .strictObject({
    banks: posNumber("BM: total intra-bank bandwidth of all banks, GiB/s").optional(),
    controller_bank: posNumber("CBM: total controller <-> bank bandwidth, GiB/s").optional(),
    controller: posNumber("CM: intra-controller bandwidth, GiB/s").optional(),
  })
  .describe(
    "Overrides of the bandwidths the seconds view derives from clock x widths (1 GiB = 2^30 bytes, the seed's 'GB'). The cycle view always uses the widths.",
  );

export const modelObjectSchema = z
  .strictObject({
    hidden_size: posInt("H"),
    intermediate_size: posInt("DIM_MLP"),
    num_hidden_layers: posInt("NUM_LAYER"),
    num_attention_heads: posInt("NUM_HEAD (query heads)"),
    num_key_value_heads: posInt("Key/value heads (GQA); defaults to num_attention_heads").optional(),
    vocab_size: posInt("V"),
  })
  .describe("A LLaMA-style model, with Hugging Face config.json field names");

export const modelSchema = z
  .union([z.enum(MODEL_PRESET_NAMES).describe("A model preset"), modelObjectSchema])
  .describe("The model to run: a preset name or its dimensions");

export const ATTENTION_MAPPINGS = ["bank_per_head", "banks_per_head"] as const;

export const workloadSchema = z
  .strictObject({
    context_len: posInt("L: sequence length the decode step attends over"),
    prompt_len: posInt("N: prompt tokens processed by prefill"),
    attention_mapping: z
      .enum(ATTENTION_MAPPINGS)
      .describe("Seed 2.3: one bank per (KV) head, or several banks per head with softmax in the controller"),
    banks_per_head: posInt(
      "Banks per KV head for banks_per_head; defaults to floor(banks / num_key_value_heads)",
    ).optional(),
    prefill_batch: posInt("Prompt tokens per GEMM tile in prefill (seed 3.2.2); defaults to 16").optional(),
  })
  .describe("What the chip runs");

export const energySchema = z
  .strictObject({
    mac_pj: nonNeg("Energy of one multiply-accumulate, pJ"),
    bank_read_pj_per_bit: nonNeg("Energy per bit read from bank memory, pJ"),
    bus_pj_per_bit: nonNeg("Energy per bit moved on the controller <-> bank bus, pJ"),
    controller_op_pj: nonNeg("Energy per element operation in the controller's ALUs, pJ"),
  })
  .describe("Per-operation energies, for energy per token");

export const specSchema = z
  .strictObject({
    $schema: z.string().describe("Path or URL of this JSON Schema, for editors").optional(),
    name: z
      .string()
      .regex(IDENTIFIER, "must be a lower-case identifier: a letter, then letters, digits or _ (at most 32)")
      .describe("Identifier: module-name prefix and output folder name"),
    clock_mhz: posNumber("Clock frequency of the chip, MHz"),
    numerics: numericsSchema,
    chip: chipSchema,
    bandwidth_gib_per_s: bandwidthOverrideSchema.optional(),
    lambda_s: nonNeg("Per-transfer latency in seconds; defaults to chip.bus.latency_cycles / clock").optional(),
    model: modelSchema,
    workload: workloadSchema,
    energy: energySchema.optional(),
  })
  .describe("pim-gen chip spec");

export type Spec = z.infer<typeof specSchema>;
export type AttentionMapping = (typeof ATTENTION_MAPPINGS)[number];
