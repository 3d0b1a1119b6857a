// The gen-rtl command line. Every user mistake (bad spec, unknown option, bad value) ends in one
// message on stderr and exit code 2; nothing is written unless everything succeeded.
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { UserError } from "../errors.js";
import { runModel } from "../model/index.js";
import { generateTree, json } from "../output/generate.js";
import { writeTreeAtomically } from "../output/write-tree.js";
import { modelJson } from "../report/model-json.js";
import { modelText } from "../report/model-text.js";
import { simText } from "../report/sim-text.js";
import { loadSpec, type LoadedSpec, type LoadOptions } from "../spec/load.js";
import { ATTENTION_MAPPINGS, type AttentionMapping } from "../spec/schema.js";
import { specJsonSchema } from "../spec/json-schema.js";
import { ENGINES, type Engine } from "../../sim/decode/engine.js";
import { progressLine } from "../../sim/decode/progress.js";
import { DEFAULT_PROMPT_CAP } from "../../sim/decode/prompt.js";
import type { RunResult } from "../../sim/decode/run.js";
import type { SweepResult } from "../sweep/index.js";
import { TARGETS as SYNTH_TARGETS, type Target as SynthTarget } from "../synth/targets.js";
import { MAPPING_CHOICES as SWEEP_MAPPINGS, METRICS as SWEEP_METRICS, type MappingChoice as SweepMapping, type Metric as SweepMetric } from "../sweep/run-model.js";

const MAPPING_CHOICES = ["spec", ...ATTENTION_MAPPINGS, "all"] as const;

/** What other commands write into rtl-out/<name>/; `gen-rtl <spec>` keeps them. */
const RESULT_ENTRIES = ["sim.json", "synth", "sweep", "waves", "report.html", "run.json"] as const;

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got "${value}"`);
  return n;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a whole number ≥ 1, got "${value}"`);
  return n;
}

function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a whole number ≥ 0, got "${value}"`);
  return n;
}

function load(file: string, options: LoadOptions = {}): LoadedSpec {
  const loaded = loadSpec(file, options);
  for (const w of loaded.warnings) process.stderr.write(`gen-rtl: warning: ${file}: ${w.path}: ${w.message}\n`);
  return loaded;
}

function mappingsFor(choice: (typeof MAPPING_CHOICES)[number], loaded: LoadedSpec): readonly AttentionMapping[] {
  if (choice === "all") return ATTENTION_MAPPINGS;
  if (choice === "spec") return [loaded.derived.mapping];
  return [choice];
}

function program(): Command {
  const cli = new Command("gen-rtl")
    .description(
      "pim-gen: processing-in-memory chips for LLM inference, from one spec.json: the seed's analytical model, " +
        "Verilog, Verilator proof and an FPGA hand-off.",
    )
    .version("0.1.0")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str.startsWith("error:") ? `gen-rtl: ${str}` : str) });

  cli
    .command("generate <spec>", { isDefault: true })
    .description("generate everything for a spec into rtl-out/<name>/ (this is also what `gen-rtl <spec>` does)")
    .option("--out <dir>", "output folder (default: rtl-out/<name>)")
    .action((file: string, opts: { out?: string }) => {
      const loaded = load(file, { rtl: true });
      const out = opts.out ?? join("rtl-out", loaded.spec.name);
      const { files, model } = generateTree(loaded);
      // The results of sim, synth, sweep and report live in the same folder: they survive regeneration.
      writeTreeAtomically(out, files, RESULT_ENTRIES);
      process.stdout.write(modelText(model));
      process.stdout.write(`\ngen-rtl: wrote ${files.size} files to ${out}/ (model.txt, model.json, rtl/, ${loaded.spec.name}.f, tb/, fpga/)\n`);
    });

  cli
    .command("model <spec>")
    .description("print the analytical model: decode breakdown (seed 3.1), prefill, sizing, energy, and the inverse question")
    .addOption(
      new Option("--mapping <mapping>", "attention mapping to model: the spec's own, one of the two, or all").choices(MAPPING_CHOICES).default("spec"),
    )
    .option("--json", "print JSON instead of tables")
    .option("--target-tokens-per-s <n>", "also answer: what bandwidths and compute reach n tokens/s (seed 3.3)", positiveNumber)
    .action(async (file: string, opts: { mapping: (typeof MAPPING_CHOICES)[number]; json?: boolean; targetTokensPerS?: number }) => {
      const loaded = load(file);
      // Loaded here, not at start-up: `gen-rtl --help` stays fast.
      const { withChipPrediction } = await import("../compiler/predict.js");
      const result = withChipPrediction(
        runModel(loaded, {
          mappings: mappingsFor(opts.mapping, loaded),
          ...(opts.targetTokensPerS !== undefined ? { targetTokensPerS: opts.targetTokensPerS } : {}),
        }),
        loaded,
      );
      process.stdout.write(opts.json ? json(modelJson(result)) : modelText(result));
    });

  cli
    .command("sim <spec>")
    .description("build the generated RTL in Verilator, run its tests, check results against the golden model and cycles against the model")
    .option("--test <pattern>", "run only tests whose name contains this (or matches it, with * as a wildcard)")
    .option("--seed <n>", "seed of the random stimulus (printed with the results; pass it back to reproduce a run)", nonNegativeInteger, 1)
    .option("--trace", "also write a VCD waveform per test into rtl-out/<name>/waves/ (a separate, slower build)")
    .option("--json", "print JSON instead of a table")
    .action(async (file: string, opts: { test?: string; seed: number; trace?: boolean; json?: boolean }) => {
      const loaded = load(file, { rtl: true });
      const { ALL_SIM_TESTS } = await import("../../sim/tests/index.js");
      const { runSuite, matchesPattern } = await import("../../sim/suite.js");
      if (!ALL_SIM_TESTS.some((t) => matchesPattern(t.name, opts.test))) {
        throw new UserError(`--test ${opts.test}: no test matches; the tests are ${ALL_SIM_TESTS.map((t) => t.name).join(", ")}`);
      }
      const progress = (name: string) => {
        if (!opts.json) process.stderr.write(`gen-rtl sim: ${name}\n`);
      };
      const traceDir = resolve("rtl-out", loaded.spec.name, "waves");
      if (opts.trace) mkdirSync(traceDir, { recursive: true });
      const result = await runSuite(ALL_SIM_TESTS, { loaded, seed: opts.seed, trace: opts.trace === true, traceDir }, opts.test, progress);
      process.stdout.write(opts.json ? json(result) : simText(result));
      // The latest results, for `gen-rtl report` (its model-vs-measured chart).
      const { writeFilesAtomically } = await import("../output/write-files.js");
      writeFilesAtomically(join("rtl-out", loaded.spec.name), new Map([["sim.json", json({ ...result, test_pattern: opts.test ?? null })]]));
      if (opts.trace) {
        const waves = readdirSync(traceDir).filter((f) => f.endsWith(".vcd")).sort();
        process.stderr.write(`gen-rtl sim: ${waves.length} waveform(s) in ${traceDir}: ${waves.join(", ")}\n`);
      }
      if (result.failed > 0) throw new UserError(`${result.failed} RTL check(s) failed (seed ${opts.seed})`, 1);
    });

  cli
    .command("synth <spec>")
    .description(
      "synthesise the generated chip with Yosys for an FPGA family: resources per module and in total, the block RAM and DSP checks, " +
        "the fit on the target's device; --pnr (iCE40): place and route the board top, fmax and a bitstream",
    )
    .addOption(new Option("--target <target>", "FPGA family").choices(SYNTH_TARGETS).makeOptionMandatory())
    .option("--pnr", "also place and route the iCE40 board top (nextpnr-ice40, UP5K), report fmax and write the bitstream")
    .option("--json", "print JSON instead of tables")
    .addOption(new Option("--update-baselines", "rewrite this spec's and target's entry of generator/synth/baselines.json").hideHelp())
    .action(async (file: string, opts: { target: SynthTarget; pnr?: boolean; json?: boolean; updateBaselines?: boolean }) => {
      const loaded = load(file, { rtl: true });
      // Loaded here, not at start-up: `gen-rtl --help` stays fast.
      const { synthSpec, synthPassed } = await import("../synth/synth.js");
      const { synthText } = await import("../synth/report.js");
      const result = await synthSpec(loaded, {
        target: opts.target,
        pnr: opts.pnr === true,
        outDir: join("rtl-out", loaded.spec.name),
        updateBaselines: opts.updateBaselines === true,
        progress: (m) => {
          if (!opts.json) process.stderr.write(`gen-rtl synth: ${m}\n`);
        },
      });
      process.stdout.write(opts.json ? json(result) : synthText(result));
      if (!synthPassed(result)) throw new UserError(`synthesis check(s) failed for ${loaded.spec.name} on ${opts.target} (see the checks above)`, 1);
    });

  cli
    .command("run <spec>")
    .description(
      "LLaMA decode on the generated chip (random weights from --seed): the prompt, then --tokens tokens, every layer output and the logits " +
        "checked bit for bit against the golden LLaMA, cycles measured beside the instruction-level and the analytical model",
    )
    .requiredOption("--tokens <n>", "tokens to generate (≥ 1)", positiveInteger)
    .option("--seed <n>", "seed of the weights and the prompt", nonNegativeInteger, 1)
    .option("--prompt-len <n>", `prompt tokens (default: workload.prompt_len, at most ${DEFAULT_PROMPT_CAP})`, positiveInteger)
    .addOption(new Option("--engine <engine>", "rtl: the Verilated chip; model: the instruction-level chip model (no Verilator, no cycles measured)").choices(ENGINES).default("rtl"))
    .option("--prefill", "process the prompt in tiles of workload.prefill_batch tokens with GEMMs (seed 3.2.2), measured against the prefill model")
    .option("--json", "print JSON instead of tables (and no progress line)")
    .addOption(new Option("--corrupt-load-word <i>", "testing: flip every bit of s_data word i of the load program").argParser(nonNegativeInteger).hideHelp())
    .action(async (file: string, opts: { tokens: number; seed: number; promptLen?: number; engine: Engine; prefill?: boolean; json?: boolean; corruptLoadWord?: number }) => {
      const loaded = load(file, { rtl: true });
      // Loaded here, not at start-up: `gen-rtl --help` stays fast.
      const { verilatorVersion } = await import("../../sim/harness/verilator.js");
      const { passed, runDecode } = await import("../../sim/decode/run.js");
      const { failureMessage, runJson, runText } = await import("../../sim/decode/report.js");
      if (opts.engine === "rtl") {
        try {
          await verilatorVersion();
        } catch (e) {
          if (e instanceof UserError) throw new UserError(`${e.message} (or run on the instruction-level chip model: --engine model)`);
          throw e;
        }
      }
      const line = progressLine(opts.json ? { write: () => true } : process.stderr, "gen-rtl run");
      let result: RunResult;
      try {
        result = await runDecode(
          loaded,
          {
            tokens: opts.tokens,
            seed: opts.seed,
            engine: opts.engine,
            prefill: opts.prefill === true,
            ...(opts.promptLen !== undefined ? { promptLen: opts.promptLen } : {}),
            ...(opts.corruptLoadWord !== undefined ? { corruptLoadWord: opts.corruptLoadWord } : {}),
          },
          (phase, detail) => line.update(phase, detail),
        );
      } finally {
        line.done();
      }
      process.stdout.write(opts.json ? json(runJson(result)) : runText(result));
      if (!passed(result)) throw new UserError(failureMessage(result), 1);
    });

  cli
    .command("report <spec>")
    .description(
      "write one self-contained HTML report: decode breakdown per mapping, roofline, the seed's 50 tokens/s table, " +
        "and the latest sim / synth / sweep results found in rtl-out/<name>/",
    )
    .option("--out <file>", "the HTML file (default: rtl-out/<name>/report.html)")
    .option("--results <dir>", "where to look for sim.json, synth/*.json and sweep/ (default: rtl-out/<name>)")
    .action(async (file: string, opts: { out?: string; results?: string }) => {
      const loaded = load(file);
      // Loaded here, not at start-up: `gen-rtl --help` stays fast.
      const { buildReport } = await import("../report/html.js");
      const { writeFilesAtomically } = await import("../output/write-files.js");
      const out = resolve(opts.out ?? join("rtl-out", loaded.spec.name, "report.html"));
      const { html, included } = await buildReport(loaded, { results: opts.results ?? join("rtl-out", loaded.spec.name) });
      writeFilesAtomically(dirname(out), new Map([[basename(out), html]]));
      process.stdout.write(`gen-rtl report: wrote ${out} (${included.join(", ")})\n`);
    });

  cli
    .command("sweep <spec>")
    .description(
      "the analytical model over a grid of spec values (--vary PATH=V1,V2,… per parameter); writes sweep.csv, sweep.json and sweep.svg; " +
        "with --rtl every point is also decoded on its Verilated chip",
    )
    .option("--vary <path=values>", "a dotted spec path and its values, e.g. chip.bus.bits=64,128,256 (repeat for more parameters)", (v: string, prev: string[]) => [...prev, v], [] as string[])
    .addOption(new Option("--metric <metric>", "the metric charted and printed").choices(SWEEP_METRICS).default("tokens_per_s"))
    .addOption(new Option("--mapping <mapping>", "attention mapping of every point: each point's own, or one of the two").choices(SWEEP_MAPPINGS).default("spec"))
    .option("--rtl", "also decode one token on every point's Verilated chip (gen-rtl run --tokens 1): measured cycles beside the models")
    .option("--jobs <n>", "--rtl points run at once (default: the machine's cores)", positiveInteger)
    .option("--seed <n>", "--rtl: seed of the weights and the prompt", nonNegativeInteger, 1)
    .option("--out-dir <dir>", "where sweep.csv, sweep.json and sweep.svg go (default: rtl-out/<name>/sweep)")
    .option("--json", "print the JSON (as in sweep.json) instead of the table")
    .action(async (file: string, opts: { vary: string[]; metric: SweepMetric; mapping: SweepMapping; rtl?: boolean; jobs?: number; seed: number; outDir?: string; json?: boolean }) => {
      // Loaded here, not at start-up: `gen-rtl --help` stays fast.
      const { prepareSweep, runSweep, sweepFiles, sweepJson } = await import("../sweep/index.js");
      const { DEFAULT_RTL, defaultJobs } = await import("../sweep/run-rtl.js");
      const { sweepText } = await import("../sweep/text.js");
      const { writeFilesAtomically } = await import("../output/write-files.js");
      if (opts.rtl && opts.mapping !== "spec") {
        throw new UserError(`--rtl runs each point's own mapping: vary workload.attention_mapping instead of --mapping ${opts.mapping}`);
      }
      const rtl = opts.rtl ? { ...DEFAULT_RTL, seed: opts.seed, jobs: opts.jobs ?? defaultJobs() } : undefined;
      // Every point is checked before any runs.
      const prepared = prepareSweep(file, opts.vary, rtl ? { tokens: rtl.tokens } : null);
      if (rtl) {
        const { verilatorVersion } = await import("../../sim/harness/verilator.js");
        await verilatorVersion();
      }
      const line = progressLine(opts.json ? { write: () => true } : process.stderr, "gen-rtl sweep");
      let result: SweepResult;
      try {
        result = await runSweep(prepared, { metric: opts.metric, mapping: opts.mapping, ...(rtl ? { rtl } : {}) }, (phase, detail) => line.update(phase, detail));
      } finally {
        line.done();
      }
      for (const w of result.warnings.slice(0, 5)) process.stderr.write(`gen-rtl: warning: ${w.points} of ${result.points.length} point(s): ${w.message}\n`);
      if (result.warnings.length > 5) process.stderr.write(`gen-rtl: warning: … and ${result.warnings.length - 5} more kinds of warning\n`);
      const outDir = opts.outDir ?? join("rtl-out", prepared.name, "sweep");
      writeFilesAtomically(outDir, await sweepFiles(result));
      process.stdout.write(opts.json ? sweepJson(result) : `${sweepText(result)}gen-rtl sweep: wrote ${join(outDir, "sweep.csv")}, sweep.json, sweep.svg\n`);
      if (result.rtl && result.rtl.failed > 0) {
        const bad = result.points.filter((p) => p.rtl && !p.rtl.passed).map((p) => `point ${p.point}: ${p.rtl?.problem ?? "failed"}`);
        throw new UserError(`${result.rtl.failed} of ${result.points.length} point(s) failed on the RTL: ${bad.slice(0, 3).join("; ")}`, 1);
      }
    });

  cli
    .command("check <spec>")
    .description("validate a spec and print its derived parameters as JSON (and whether the RTL generator can build it)")
    .action((file: string) => {
      const loaded = load(file);
      process.stdout.write(
        json({ spec: loaded.spec.name, valid: true, rtl_ready: loaded.rtlProblems.length === 0, warnings: loaded.warnings, rtl_problems: loaded.rtlProblems, derived: loaded.derived }),
      );
    });

  cli
    .command("schema")
    .description("print the spec's JSON Schema (for editors), or write it to a file")
    .option("--out <file>", "write the schema to this file instead of stdout")
    .action((opts: { out?: string }) => {
      const text = json(specJsonSchema());
      if (opts.out) writeFileSync(opts.out, text);
      else process.stdout.write(text);
    });

  return cli;
}

/** Run the CLI on `argv` (without node and script); returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv, { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; every usage error exits 2 (commander has already printed it).
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof UserError) {
      process.stderr.write(`gen-rtl: error: ${e.message}\n`);
      return e.exitCode;
    }
    const err = e as NodeJS.ErrnoException;
    if (err && typeof err.code === "string" && typeof err.path === "string") {
      process.stderr.write(`gen-rtl: error: ${err.path}: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`gen-rtl: internal error (please report it): ${err?.stack ?? String(e)}\n`);
    return 70;
  }
}
