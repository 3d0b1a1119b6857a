// The spec: the schema accepts the presets and rejects each kind of mistake with a message that
// names the field, the value and what was expected; the cross-field checks catch impossible chips;
// the JSON Schema file the presets reference is the one the zod schema generates.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { UserError } from "../generator/errors.js";
import { loadSpec, parseSpec, type LoadOptions } from "../generator/spec/load.js";
import { specJsonSchema } from "../generator/spec/json-schema.js";
import { rtlModules } from "../generator/rtl/index.js";
import { CONFIG_A, CONFIG_B, vary } from "./fixtures.js";
import type { Spec } from "../generator/spec/schema.js";

function messageOf(data: unknown, options: LoadOptions = {}): string {
  try {
    parseSpec(data, "<test>", options);
  } catch (e) {
    if (e instanceof UserError) return e.message;
    throw e;
  }
  throw new Error("the spec was accepted");
}

describe("presets", () => {
  it.each(["specs/aim-llama7b.json", "specs/tiny.json", "specs/fpga-ice40.json", "specs/fpga-up5k.json"])("%s is valid and references the schema", (file) => {
    const loaded = loadSpec(file);
    expect(loaded.spec.name).toMatch(/^[a-z][a-z0-9_]*$/);
    expect(JSON.parse(readFileSync(file, "utf8")).$schema).toBe("../schema/pim-gen.schema.json");
  });

  it("aim-llama7b is the seed's chip: 8 dies × 16 banks × 32 MiB, BM 8×512, CBM 8×32, CM 100 GiB/s, λ 1e-4 s, 4-bit", () => {
    const { spec, derived } = loadSpec("specs/aim-llama7b.json");
    expect([spec.chip.dies, spec.chip.banks_per_die, spec.chip.bank.memory_bytes]).toEqual([8, 16, 32 * 2 ** 20]);
    expect(derived.bandwidth.banks.bytes_per_s).toBe(8 * 512 * 2 ** 30);
    expect(derived.bandwidth.controller_bank.bytes_per_s).toBe(8 * 32 * 2 ** 30);
    expect(derived.bandwidth.controller.bytes_per_s).toBe(100 * 2 ** 30);
    expect(derived.lambda.s).toBe(1e-4);
    expect([spec.numerics.weight_bits, spec.numerics.kv_bits, spec.numerics.activation_bits]).toEqual([4, 4, 4]);
    expect(spec.workload.context_len).toBe(4096);
    // Its widths at 2^30 Hz give the same bandwidths the overrides state: no silent disagreement.
    expect(derived.bandwidth.banks.derived_bytes_per_s).toBe(derived.bandwidth.banks.bytes_per_s);
    expect(derived.bandwidth.controller_bank.derived_bytes_per_s).toBe(derived.bandwidth.controller_bank.bytes_per_s);
  });

  it("the JSON Schema file is what `gen-rtl schema` generates from the zod schema", () => {
    const committed = JSON.parse(readFileSync("schema/pim-gen.schema.json", "utf8"));
    expect(committed).toEqual(specJsonSchema());
    expect(committed.additionalProperties).toBe(false);
    expect(committed.required).toEqual(expect.arrayContaining(["name", "clock_mhz", "numerics", "chip", "model", "workload"]));
  });
});

describe("schema errors name the field, the value and what was expected", () => {
  it("wrong type", () => {
    const m = messageOf(vary(CONFIG_A, { chip: { dies: "2" as unknown as number } }));
    expect(m).toContain('chip.dies: "2" (string) is not a number');
  });

  it("not an integer", () => {
    expect(messageOf(vary(CONFIG_A, { chip: { bank: { mac_lanes: 2.5 } } }))).toContain("chip.bank.mac_lanes: 2.5 (number) is not an integer");
  });

  it("out of range", () => {
    expect(messageOf(vary(CONFIG_A, { chip: { banks_per_die: 0 } }))).toContain("chip.banks_per_die: 0 (number) is too small; expected ≥ 1");
    expect(messageOf(vary(CONFIG_A, { clock_mhz: -5 }))).toContain("clock_mhz: -5 (number) is too small; expected > 0");
  });

  it("unknown key, with a suggestion", () => {
    const spec = structuredClone(CONFIG_A) as unknown as { chip: { bank: Record<string, unknown> } };
    spec.chip.bank.mac_lane = 4;
    const m = messageOf(spec);
    expect(m).toContain('chip.bank: unknown key "mac_lane"; did you mean "mac_lanes"?');
  });

  it("unknown key at the top level", () => {
    expect(messageOf({ ...CONFIG_A, clock: 100 })).toContain('(top level): unknown key "clock"');
  });

  it("missing field", () => {
    const { workload, ...rest } = CONFIG_A;
    expect(workload).toBeDefined();
    expect(messageOf(rest)).toContain("workload: missing; expected an object");
    const noLanes = structuredClone(CONFIG_A) as unknown as { chip: { bank: Record<string, unknown> } };
    delete noLanes.chip.bank.mac_lanes;
    expect(messageOf(noLanes)).toContain("chip.bank.mac_lanes: missing; expected a number");
  });

  it("bad enum value", () => {
    const m = messageOf(vary(CONFIG_A, { workload: { attention_mapping: "per_head" as "bank_per_head" } }));
    expect(m).toContain('workload.attention_mapping: "per_head" (string) is not one of "bank_per_head", "banks_per_head"');
  });

  it("unknown model preset lists the presets", () => {
    const m = messageOf({ ...CONFIG_A, model: "llama-9b" });
    expect(m).toContain('model: "llama-9b" (string) is not a known model preset; expected one of llama-7b');
  });

  it("a model object is checked field by field", () => {
    const m = messageOf({ ...CONFIG_A, model: { ...(CONFIG_A.model as object), hidden_size: 0 } });
    expect(m).toContain("model.hidden_size: 0 (number) is too small");
  });

  it("a name that is not an identifier", () => {
    expect(messageOf({ ...CONFIG_A, name: "Tiny-1; rm" })).toContain('name: "Tiny-1; rm" (string) must be a lower-case identifier');
  });

  it("lists every problem, one per line", () => {
    const m = messageOf(vary(CONFIG_A, { chip: { dies: 0, banks_per_die: 0 } }));
    expect(m.split("\n").filter((l) => l.includes("too small"))).toHaveLength(2);
  });
});

const RTL: LoadOptions = { rtl: true };

describe("cross-field checks", () => {
  it("weights + KV that do not fit: bytes short and the longest context that fits", () => {
    // 8 × 65536 = 524288 B; weights 783360 B alone exceed it.
    expect(messageOf(vary(CONFIG_A, { chip: { bank: { memory_bytes: 65536 } } }))).toMatch(
      /chip\.bank\.memory_bytes: 65536 per bank × 8 banks = 524288 bytes, but .* need 914432: 390144 bytes short; the weights alone do not fit/,
    );
    // 8 × 110000 = 880000 B: weights 783360 + 128 × 1024 = 914432 → 34432 short; (880000 − 783360) / 1024 = 94.
    const m = messageOf(vary(CONFIG_A, { chip: { bank: { memory_bytes: 110000 } } }));
    expect(m).toContain("34432 bytes short; the longest context that fits is 94");
  });

  it("banks_per_head × KV heads more than the banks", () => {
    const m = messageOf(vary(CONFIG_A, { workload: { attention_mapping: "banks_per_head", banks_per_head: 3 } }));
    expect(m).toContain("workload.banks_per_head: 3 banks per head × 4 KV heads = 12 banks, but the chip has 8; expected at most 2");
  });

  it("one bank per head with more KV heads than banks", () => {
    const m = messageOf(vary(CONFIG_B, { chip: { banks_per_die: 1 } }));
    expect(m).toContain("workload.attention_mapping: bank_per_head needs one bank per KV head: 2 heads, but the chip has 1 banks");
  });

  it("read width not a multiple of the weight width", () => {
    expect(messageOf(vary(CONFIG_B, { chip: { bank: { read_bits: 36 } } }))).toContain(
      "chip.bank.read_bits: 36 is not a multiple of numerics.weight_bits (8); expected a multiple such as 32 or 40",
    );
  });

  it("bus width not a multiple of the activation width", () => {
    expect(messageOf(vary(CONFIG_A, { chip: { bus: { bits: 12 } } }))).toContain("chip.bus.bits: 12 is not a multiple of numerics.activation_bits (8)");
  });

  it("hidden size not divisible into heads, and KV heads that do not divide the heads", () => {
    expect(messageOf({ ...CONFIG_A, model: { ...(CONFIG_A.model as object), hidden_size: 250 } })).toContain(
      "model.hidden_size: 250 is not a multiple of model.num_attention_heads (4)",
    );
    expect(messageOf({ ...CONFIG_A, model: { ...(CONFIG_A.model as object), num_key_value_heads: 3 } })).toContain(
      "model.num_key_value_heads: 3 does not divide model.num_attention_heads (4)",
    );
  });

  it("MAC lanes that do not divide a BMEM word's weights", () => {
    // CONFIG_B: 32-bit words of 8-bit weights = 4 weights; 3 lanes neither divide them nor cover them.
    const m = messageOf(vary(CONFIG_B, { chip: { bank: { mac_lanes: 3 } } }), RTL);
    expect(m).toContain(
      "chip.bank.mac_lanes: 3 does not divide the 4 weights of a BMEM word (chip.bank.read_bits / numerics.weight_bits = 32 / 8) and is smaller; the bank needs lanes that divide it (e.g. 1, 2, 4) or at least 4",
    );
    // More lanes than a word holds is fine: the bank builds one per weight.
    expect(() => parseSpec(vary(CONFIG_B, { chip: { bank: { mac_lanes: 6 } } }), "<b>", RTL)).not.toThrow();
  });

  it("a broadcast beat and a BRAM word (lanes × activation_bits) that do not divide one another", () => {
    // CONFIG_A: 16 lanes × 8 bits = 128-bit BRAM words; 2 dies × 24 bits = 48-bit beats.
    const m = messageOf(vary(CONFIG_A, { chip: { bus: { bits: 24 } } }), RTL);
    expect(m).toContain(
      "chip.bus.bits: a broadcast beat of chip.dies × chip.bus.bits = 2 × 24 = 48 bits and a bank's BRAM word of 16 MAC lanes × numerics.activation_bits = 128 bits",
    );
    expect(m).toContain("must divide one another");
    expect(m).toContain("e.g. chip.bus.bits = 16 or 32");
  });

  it("a broadcast beat and a BMEM word (read_bits) that do not divide one another", () => {
    // CONFIG_B: 1 die × 16-bit beats; 48-bit BMEM words (6 weights; 2 lanes × 8 = 16-bit BRAM words nest).
    const m = messageOf(vary(CONFIG_B, { chip: { bank: { read_bits: 48 }, bus: { bits: 32 } } }), RTL);
    expect(m).toContain("chip.bus.bits: a broadcast beat of chip.dies × chip.bus.bits = 1 × 32 = 32 bits and a BMEM word of chip.bank.read_bits = 48 bits must divide one another");
  });

  it("the RTL's limits stop the generator, not the model: the same spec models fine and lists them", () => {
    const spec = vary(CONFIG_A, { chip: { bus: { bits: 24 } }, numerics: { activation_bits: 8 } });
    const loaded = parseSpec(spec, "<a>");
    // A 48-bit beat nests with neither the 128-bit BRAM word nor the 64-bit BMEM word.
    expect(loaded.rtlProblems.map((p) => p.path)).toEqual(["chip.bus.bits", "chip.bus.bits"]);
    expect(() => rtlModules(loaded)).toThrow(/outside what the RTL generator builds:\n {2}chip\.bus\.bits: /);
  });

  it("activation widths the ALUs are not built for, and an odd number of vector lanes", () => {
    expect(messageOf(vary(CONFIG_A, { numerics: { activation_bits: 16 }, chip: { bus: { bits: 64 }, controller: { mem_bits: 64 } } }), RTL)).toContain(
      "numerics.activation_bits: 16 is outside what the controller ALUs support; expected 4 … 12",
    );
    expect(messageOf(vary(CONFIG_A, { chip: { controller: { vector_lanes: 7 } } }), RTL)).toContain("chip.controller.vector_lanes: 7 is odd");
  });

  it("vector_ops: a subset is valid (odd lanes too when RoPE is not built); an op twice or an unknown op is an error", () => {
    const subset = { chip: { controller: { vector_ops: ["add", "mul", "sum", "max"] } } };
    expect(parseSpec(vary(CONFIG_A, subset), "<s>", RTL).rtlProblems).toEqual([]);
    // 7 lanes: odd is fine without RoPE (it rotates lane pairs), an error with it.
    const odd = { chip: { controller: { vector_lanes: 7, vector_ops: ["add", "sum"] } } };
    expect(parseSpec(vary(CONFIG_A, odd), "<s>", RTL).rtlProblems.map((p) => p.path)).not.toContain("chip.controller.vector_lanes");
    expect(messageOf(vary(CONFIG_A, { chip: { controller: { vector_lanes: 7, vector_ops: ["add", "rope"] } } }), RTL)).toContain("chip.controller.vector_lanes: 7 is odd");
    expect(messageOf(vary(CONFIG_A, { chip: { controller: { vector_ops: ["add", "max", "add"] } } }))).toContain("chip.controller.vector_ops: add listed more than once");
    expect(messageOf(vary(CONFIG_A, { chip: { controller: { vector_ops: ["add", "exp"] } } }))).toMatch(/chip\.controller\.vector_ops.*softmax/s);
    expect(messageOf(vary(CONFIG_A, { chip: { controller: { vector_ops: [] } } }))).toContain("chip.controller.vector_ops");
  });

  it("a prompt longer than the context", () => {
    expect(messageOf(vary(CONFIG_A, { workload: { prompt_len: 200 } }))).toContain("workload.prompt_len: 200 is longer than workload.context_len (128)");
  });

  it("warns (without failing) when the MACs cannot keep up or the accumulator can overflow", () => {
    const loaded = parseSpec(vary(CONFIG_B, { numerics: { accumulator_bits: 16 } }), "<b>");
    const paths = loaded.warnings.map((w) => w.path);
    expect(paths).toContain("chip.bank.mac_lanes");
    // 8 + 8 + ceil(log2(320)) = 25 bits never overflow.
    expect(loaded.warnings.find((w) => w.path === "numerics.accumulator_bits")?.message).toContain("25 bits never do");
  });

  it("warns when the MAC lanes exceed a bank read: the RTL builds one word's worth", () => {
    // tiny: 32-bit reads of 4-bit weights = 8 weights a read; 32 lanes ask for 4 reads' worth.
    const spec = JSON.parse(readFileSync("specs/tiny.json", "utf8")) as Spec;
    const loaded = parseSpec(vary(spec, { chip: { bank: { mac_lanes: 32 } } }), "<tiny, 32 lanes>");
    const w = loaded.warnings.find((x) => x.path === "chip.bank.mac_lanes");
    expect(w?.message).toMatch(/32 lanes consume more weights per cycle than a bank read delivers \(8\); the generated bank builds 8 multipliers/);
    expect(parseSpec(spec, "<tiny>").warnings).toEqual([]);
  });
});

describe("reading files", () => {
  it("a missing file", () => {
    expect(() => loadSpec("specs/nope.json")).toThrow(/cannot read spec specs\/nope\.json: no such file/);
  });

  it("a file that is not JSON says where", () => {
    expect(() => loadSpec("test/data/not-json.json")).toThrow(/is not valid JSON at line 3, column \d+/);
  });
});
