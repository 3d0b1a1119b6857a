// Benchmark (not a test): one full-width LLaMA-7B decoder layer (hidden 4096, 32 heads, MLP 11008)
// on the seed's chip (8 dies × 16 banks, 64 MAC lanes, 256-bit bank reads, 256-bit die links) in
// Verilator, at position CONTEXT - 1 of a CONTEXT-token context (default 512): the KV cache of the
// earlier positions is loaded into the banks (compiler kvCacheProgram) rather than decoded. The
// weights and that cache go into BMEM through the simulation's back door (RTL engine preloadBmem:
// the load program's ld_bmem words as $readmemh files), not over the bus; --bus-load loads them
// over the bus as gen-rtl run does (about 35 minutes more here).
//
//   node dist/bench/aim-layer.js [--spec bench/aim-layer.json] [--seed S] [--json] [--bus-load]
//   (bench/aim-layer.sh runs it under /usr/bin/time for the peak memory)
//
// It reports the layer's measured cycles beside the instruction-level cycle model and the seed's
// analytical model, the bank-bandwidth utilisation (roofline = the layer's weight and KV bytes /
// (banks × read bytes per cycle)), simulated cycles per second, wall times, and the whole token
// extrapolated from the measured layer. The layer's output and the logits are checked bit for bit
// against the golden LLaMA. See the README ("Benchmark") for what the bench spec changes and why.
import { parseArgs } from "node:util";
import { compileDecode, instructionsOf, kvCacheProgram, planLayout, type Program } from "../generator/compiler/index.js";
import { chipParams } from "../generator/rtl/chip.js";
import { programCycles } from "../generator/model/cycles-chip.js";
import { decodeTime, decodeWork } from "../generator/model/decode.js";
import { cycleRates } from "../generator/model/rates.js";
import { derive } from "../generator/spec/derive.js";
import { loadSpec } from "../generator/spec/load.js";
import { MODEL_PRESETS } from "../generator/spec/models.js";
import { analyticalCycles, bankWaitsToGemv, sumOf } from "../sim/decode/cycles.js";
import { runOnRtl } from "../sim/decode/engine-rtl.js";
import { randomLlamaWeights } from "../sim/golden/llama-weights.js";
import { decodeStep, type LlamaCache } from "../sim/golden/llama.js";
import { prng } from "../sim/prng.js";

const { values } = parseArgs({
  options: { spec: { type: "string", default: "bench/aim-layer.json" }, seed: { type: "string", default: "1" }, json: { type: "boolean", default: false }, "bus-load": { type: "boolean", default: false } },
});
const seed = Number(values.seed);
const t0 = Date.now();
const secs = (since: number): number => (Date.now() - since) / 1000;
const log = (msg: string): void => void process.stderr.write(`bench: ${msg} (${secs(t0).toFixed(0)} s)\n`);

const loaded = loadSpec(values.spec, { rtl: true });
const d = loaded.derived;
const m = d.model;
const n = loaded.spec.workload.context_len - 1; // the decoded position; n earlier positions cached
log(`${loaded.spec.name}: ${m.num_hidden_layers} layer(s), hidden ${m.hidden_size}, MLP ${m.intermediate_size}, ${m.num_attention_heads} heads, position ${n}`);

// The layout's checks first (they need no weights): a spec that cannot be compiled fails at once.
planLayout(loaded, chipParams(loaded));
let t = Date.now();
const w = randomLlamaWeights(loaded, seed);
const weightsS = secs(t);
log("weights drawn");
const r = prng(seed).fork("bench-cache");
const half = 2 ** (w.numerics.kvBits - 1);
const code = (): bigint => BigInt(r.int(-half, half - 1));
const cache: LlamaCache = w.layers.map(() => ({
  k: Array.from({ length: n }, () => Array.from({ length: m.kv_dim }, code)),
  v: Array.from({ length: n }, () => Array.from({ length: m.kv_dim }, code)),
}));
const token = r.int(0, m.vocab_size - 1);
t = Date.now();
const gold = decodeStep(w, cache, token);
const goldenS = secs(t);
log("golden step done");
t = Date.now();
const c = compileDecode(loaded, w);
const step = c.step(n, token, { readLayers: true });
const programs: Program[] = [c.load, kvCacheProgram(c.layout, cache), step];
const compileS = secs(t);
log(`compiled: ${programs.map((p) => p.instrs.length).join(" + ")} instructions, ${programs.reduce((s, p) => s + p.data.length, 0)} s_data words`);

t = Date.now();
const run = await runOnRtl(loaded, programs, {
  building: () => log("Verilator build (cached in .cache/verilator)"),
  simulating: (i) => log(`simulating ${i.instructions} instructions, about ${i.modelCycles} cycles by the instruction model${i.build.cached ? "" : ` (built in ${i.build.seconds.toFixed(0)} s)`}`),
}, { preloadBmem: !values["bus-load"] });
const simS = secs(t);
const p = c.layout.p;
const allInstr = programs.flatMap(instructionsOf);
const model = programCycles(p, d, allInstr).map((x) => x.cycles);
const k0 = programs[0]!.instrs.length + programs[1]!.instrs.length;
const stepModel = bankWaitsToGemv(p, d, step, model.slice(k0));
const stepMeasured = run.measured ? bankWaitsToGemv(p, d, step, run.measured[2]!) : null;
const layerSum = (xs: readonly number[]): number => step.instrs.reduce((s, ti, i) => s + (ti.tag.layer === 0 ? xs[i]! : 0), 0);
const hostSum = (xs: readonly number[]): number => step.instrs.reduce((s, ti, i) => s + (ti.tag.part === "host" ? xs[i]! : 0), 0);
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

// Correctness: the layer output and the logits.
const reads = run.reads[2] ?? [];
const layerOk = JSON.stringify((reads[0] ?? []).map(String)) === JSON.stringify(gold.layers[0]!.output.map(String));
const logitsOk = JSON.stringify((reads[reads.length - 1] ?? []).map(String)) === JSON.stringify(gold.logits.map(String));

// Roofline of the layer: its weight and KV bytes over every bank's read bandwidth.
const H = m.hidden_size;
const weightBytes = ((2 * H * H + 2 * m.kv_dim * H + 3 * H * m.intermediate_size) * loaded.spec.numerics.weight_bits) / 8;
const kvBytes = (2 * (n + 1) * m.kv_dim * loaded.spec.numerics.kv_bits) / 8;
const roofline = (weightBytes + kvBytes) / (d.banks * d.per_cycle.bank_bytes);
const layerMeasured = stepMeasured ? layerSum(stepMeasured) : null;
const layerModel = layerSum(stepModel);
// The seed's analytical model of one layer at this context (cycles), as gen-rtl run splits it.
const layerAnalytical = sumOf(analyticalCycles(loaded, n + 1).perLayer);
// The whole LLaMA-7B token: 32 layers as measured, plus what lies outside the layers (final norm,
// LM head over 32000 words, logits out) by the seed's model for LLaMA-7B on this chip; and with λ
// at the seed's 107374 cycles instead of the bench's (every transfer pays it once).
const llama = derive({ ...loaded.spec, model: { ...MODEL_PRESETS["llama-7b"] } });
const tokenModel = decodeTime(decodeWork(llama, llama.mapping, n + 1), cycleRates(llama));
const llamaOutside = decodeTime(decodeWork(derive({ ...loaded.spec, model: { ...llama.model, num_hidden_layers: 0 } }), llama.mapping, n + 1), cycleRates(llama));
const layers = llama.model.num_hidden_layers;
const clockHz = loaded.spec.clock_mhz * 1e6;
const transfersPerLayer = step.instrs.filter((ti) => ti.tag.layer === 0 && ["bcast", "gather", "st_bmem", "st_vt"].includes(ti.instr.op)).length;
const seedLambda = 107374;
const tokenCycles = layerMeasured === null ? null : layers * layerMeasured + llamaOutside.total.time;
const out = {
  spec: loaded.spec.name,
  position: n,
  bit_exact: { layer_output: layerOk, logits: logitsOk },
  problems: run.problems,
  layer: {
    measured_cycles: layerMeasured,
    instruction_model_cycles: layerModel,
    measured_vs_model: layerMeasured === null ? null : layerMeasured / layerModel - 1,
    analytical_model_cycles: Math.round(layerAnalytical),
    roofline_cycles: Math.round(roofline),
    utilisation: layerMeasured === null ? null : roofline / layerMeasured,
    transfers: transfersPerLayer,
  },
  step: { measured_cycles: stepMeasured ? sum(stepMeasured) - hostSum(stepMeasured) : null, model_cycles: sum(stepModel) - hostSum(stepModel) },
  load_cycles: { measured: run.measured ? sum(run.measured[0]!) + sum(run.measured[1]!) : null, model: sum(model.slice(0, k0)) },
  simulation: run.sim ? { cycles: run.sim.cycles, wall_s: run.sim.wall_s, cycles_per_s: run.sim.cycles / run.sim.wall_s, build: run.sim.build } : null,
  wall_s: { weights: weightsS, golden: goldenS, compile: compileS, verilator_build_and_run: simS, total: secs(t0) },
  node_peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  token_extrapolated: tokenCycles === null
    ? null
    : {
        layers,
        cycles: Math.round(tokenCycles),
        seconds: tokenCycles / clockHz,
        with_seed_lambda_s: (tokenCycles + layers * transfersPerLayer * (seedLambda - p.bus.latency)) / clockHz,
        analytical_model_s: tokenModel.total.time / clockHz,
        analytical_model_bandwidth_only_s: (tokenModel.total.time - tokenModel.total.lambda) / clockHz,
        seed_s: 1.25e-3,
      },
};
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
if (!layerOk || !logitsOk || run.problems.length > 0) process.exitCode = 1;
