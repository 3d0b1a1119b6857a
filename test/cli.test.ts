// The CLI as a user runs it: a subprocess (bin/gen-rtl.js on the compiled dist/), its stdout,
// stderr and exit code. Covers the model command's JSON against the seed, every kind of bad input
// (one message, exit 2, no stack trace, nothing written), the output tree's atomic write and its
// byte-for-byte determinism.
import { execa } from "execa";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CONFIG_A } from "./fixtures.js";

const BIN = join(process.cwd(), "bin", "gen-rtl.js");

async function genRtl(args: string[], cwd = process.cwd()) {
  return execa("node", [BIN, ...args], { cwd, reject: false, stripFinalNewline: false });
}

function scratch(): string {
  return mkdtempSync(join(tmpdir(), "pim-gen-cli-"));
}

function expectCleanFailure(r: { exitCode?: number; stderr: string; stdout: string }, pattern: RegExp) {
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/^\s+at /m); // no stack trace
  expect(r.stderr).not.toMatch(/internal error/);
}

describe("gen-rtl model", () => {
  it("--mapping all --json gives the seed's breakdown for both mappings", async () => {
    const r = await genRtl(["model", "specs/aim-llama7b.json", "--mapping", "all", "--json"]);
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.weights_in_gemv).toBe(6607077376);
    expect(out.max_seq_len).toBe(7564);
    const one = out.mappings.bank_per_head.decode;
    const multi = out.mappings.banks_per_head.decode;
    expect(one.intra_bank.weights_s).toBeCloseTo(7.5e-4, 5);
    expect(one.intra_bank.kv_s).toBeCloseTo(4.9e-4, 5);
    expect(multi.intra_bank.kv_s).toBeCloseTo(1.2e-4, 5);
    expect(one.controller_bank.weights).toMatchObject({ transfers: 450 });
    expect(one.controller_bank.weights.transfer_s).toBeCloseTo(4.61e-6, 8);
    expect(one.controller_bank.kv.transfers).toBe(64);
    expect(one.controller_bank.kv.transfer_s).toBeCloseTo(1.91e-6, 8);
    expect(multi.controller_bank.kv.transfers).toBe(128);
    expect(multi.controller_bank.kv.transfer_s).toBeCloseTo(1.72e-5, 7);
    expect(one.intra_controller.weights_s).toBeCloseTo(5.87e-6, 8);
    expect(one.intra_controller.kv_s).toBe(0);
    expect(one.total.transfers).toBe(514);
    expect(one.total.s).toBeCloseTo(one.total.bandwidth_s + 514 * 1e-4, 12);
    expect(one.tokens_per_s).toBeCloseTo(1 / one.total.s, 9);
    // The seed's figures stand beside ours where it slipped.
    const errata = out.seed_comparison.rows.filter((row: { status: string }) => row.status === "erratum");
    expect(errata.map((row: { seed: string }) => row.seed)).toEqual(expect.arrayContaining(["192", "642", "1.27e-3", "15128"]));
  });

  it("the table shows the seed's figure and flags its errata", async () => {
    const r = await genRtl(["model", "specs/aim-llama7b.json", "--mapping", "all"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/controller-bank KV\s+128 .*192 erratum \[\d\]/);
    expect(r.stdout).toMatch(/total\s+514 .*514 ok transfers; 1\.25e-3 ok/);
    expect(r.stdout).toContain("0 differ");
  });

  it("--target-tokens-per-s answers the inverse question", async () => {
    const r = await genRtl(["model", "specs/tiny.json", "--json", "--target-tokens-per-s", "1000"]);
    expect(r.exitCode).toBe(0);
    const inv = JSON.parse(r.stdout).mappings.banks_per_head.inverse;
    expect(inv.reachable).toBe(true);
    expect(inv.with_lambda.scale).toBeLessThan(1);
  });

  it("is deterministic", async () => {
    const a = await genRtl(["model", "specs/tiny.json", "--json", "--mapping", "all"]);
    const b = await genRtl(["model", "specs/tiny.json", "--json", "--mapping", "all"]);
    expect(a.stdout).toBe(b.stdout);
  });
});

describe("bad input: one message, exit code 2, no stack trace, nothing written", () => {
  it("an unknown option", async () => {
    expectCleanFailure(await genRtl(["model", "specs/tiny.json", "--bogus"]), /unknown option '--bogus'/);
  });

  it("an unknown mapping", async () => {
    expectCleanFailure(await genRtl(["model", "specs/tiny.json", "--mapping", "diagonal"]), /argument 'diagonal' is invalid.*Allowed choices are spec, bank_per_head, banks_per_head, all/);
  });

  it("a bad --target-tokens-per-s", async () => {
    expectCleanFailure(await genRtl(["model", "specs/tiny.json", "--target-tokens-per-s", "fast"]), /expected a positive number, got "fast"/);
  });

  it("a missing file", async () => {
    expectCleanFailure(await genRtl(["model", "specs/missing.json"]), /cannot read spec specs\/missing\.json: no such file/);
  });

  it("not JSON", async () => {
    expectCleanFailure(await genRtl(["model", "test/data/not-json.json"]), /is not valid JSON at line 3/);
  });

  it("an impossible spec, given to the default command, writes nothing", async () => {
    const dir = scratch();
    const bad = { ...CONFIG_A, chip: { ...CONFIG_A.chip, bank: { ...CONFIG_A.chip.bank, memory_bytes: 1024 } } };
    writeFileSync(join(dir, "bad.json"), JSON.stringify(bad));
    const r = await genRtl(["bad.json"], dir);
    expectCleanFailure(r, /invalid spec bad\.json:\n {2}chip\.bank\.memory_bytes: .* bytes short/);
    expect(readdirSync(dir)).toEqual(["bad.json"]);
  });
});

describe("gen-rtl sim", () => {
  it("--json: each check with measured and model cycles, and the totals", async () => {
    const r = await genRtl(["sim", "specs/fpga-ice40.json", "--test", "interconnect/full", "--json", "--seed", "3"]);
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ spec: "fpga_ice40", seed: 3, failed: 0 });
    expect(out.passed).toBe(out.tests.length);
    const broadcast = out.tests.find((t: { name: string }) => t.name === "interconnect/full.broadcast");
    // 1 die × 16-bit link, λ = 2: 9 beats → 2 + 9 + 2 (DieRAM write, read back, BRAM write).
    expect(broadcast).toMatchObject({ passed: true, cycles: { measured: 13, model: 13 } });
  }, 300_000);

  it("--trace writes a VCD per test and says where", async () => {
    const dir = scratch();
    const r = await genRtl(["sim", join(process.cwd(), "specs/fpga-ice40.json"), "--test", "interconnect/full", "--trace"], dir);
    expect(r.exitCode).toBe(0);
    const waves = join(dir, "rtl-out", "fpga_ice40", "waves");
    expect(r.stderr).toContain(`1 waveform(s) in ${waves}: interconnect_full.vcd`);
    const vcd = readFileSync(join(waves, "interconnect_full.vcd"), "utf8");
    expect(vcd).toContain("$enddefinitions");
    expect(vcd).toMatch(/bc_valid/);
  }, 300_000);

  it("--test that matches nothing names the tests", async () => {
    expectCleanFailure(await genRtl(["sim", "specs/tiny.json", "--test", "no-such-test"]), /--test no-such-test: no test matches; the tests are .*interconnect\/full/);
  });
});

describe("gen-rtl <spec>", () => {
  it("writes the output tree, byte-identical on a second run", async () => {
    const dir = scratch();
    const first = await genRtl([join(process.cwd(), "specs/tiny.json"), "--out", "out1"], dir);
    const second = await genRtl(["generate", join(process.cwd(), "specs/tiny.json"), "--out", "out2"], dir);
    expect(first.exitCode).toBe(0);
    expect(second.exitCode).toBe(0);
    const files = readdirSync(join(dir, "out1"), { recursive: true }).map(String).sort();
    expect(files).toEqual(expect.arrayContaining(["model.json", "model.txt", "spec.json"]));
    for (const f of files) {
      if (statSync(join(dir, "out1", f)).isDirectory()) continue;
      expect(readFileSync(join(dir, "out2", f))).toEqual(readFileSync(join(dir, "out1", f)));
    }
    // No temporary folders left beside the output.
    expect(readdirSync(dir).sort()).toEqual(["out1", "out2"]);
    // model.json is the model command's JSON.
    const model = await genRtl(["model", "specs/tiny.json", "--json", "--mapping", "all"]);
    expect(readFileSync(join(dir, "out1", "model.json"), "utf8")).toBe(model.stdout);
  });

  it("regenerating replaces the generated files but keeps the results other commands wrote", async () => {
    const dir = scratch();
    const spec = join(process.cwd(), "specs/tiny.json");
    expect((await genRtl([spec, "--out", "out"], dir)).exitCode).toBe(0);
    writeFileSync(join(dir, "out", "sim.json"), "{}\n");
    mkdirSync(join(dir, "out", "synth"));
    writeFileSync(join(dir, "out", "synth", "ice40.json"), "{}\n");
    writeFileSync(join(dir, "out", "stale.v"), "// not generated\n");
    expect((await genRtl([spec, "--out", "out"], dir)).exitCode).toBe(0);
    expect(readFileSync(join(dir, "out", "sim.json"), "utf8")).toBe("{}\n");
    expect(readFileSync(join(dir, "out", "synth", "ice40.json"), "utf8")).toBe("{}\n");
    expect(existsSync(join(dir, "out", "stale.v"))).toBe(false);
    expect(existsSync(join(dir, "out", "model.json"))).toBe(true);
    expect(readdirSync(dir)).toEqual(["out"]);
  });

  it("--help lists the commands", async () => {
    const r = await genRtl(["--help"]);
    expect(r.exitCode).toBe(0);
    for (const cmd of ["generate", "model", "check", "schema"]) expect(r.stdout).toContain(cmd);
  });
});
