// Tests of the die broadcast bus on the generated RTL: a broadcast reaches every die's banks' BRAM
// intact (beats assembled into BRAM words where a word holds several) in λ + beats + 2 cycles; a
// load of one bank's BMEM reaches only that bank, split into or assembled from BMEM words, in
// λ + beats × bmem_split + 2 cycles (back-pressure when a beat holds several words); a gather brings every masked bank's results back requantised and packed,
// in 1 + λ + (longest die's words) cycles; a gather under back-pressure and with a sparse mask still
// delivers exactly the golden beats. The same with element packing (cfg_pack, a result count that is
// not whole words): the banks' results back to back in each die's words, open words shared between
// banks, one word per cycle with no gap, under back-pressure and with a sparse mask too. Expected data come from sim/golden/interconnect.ts, expected
// cycles from generator/model/cycles-bus.ts, never from the RTL.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bmemLoadCycles, broadcastCycles, gatherCycles, gatherWords } from "../../generator/model/cycles-bus.js";
import { dpramModule } from "../../generator/rtl/dpram.js";
import { interconnectModules, interconnectParams, type InterconnectParams } from "../../generator/rtl/interconnect.js";
import { interconnectTestbench } from "../../generator/tb/interconnect_tb.js";
import type { LoadedSpec } from "../../generator/spec/load.js";
import { broadcastWrites, busTransfer, gatherBeats, type BusBeat, type MemWrite } from "../golden/interconnect.js";
import { buildVerilated, runVerilated } from "../harness/verilator.js";
import { prng, type Prng } from "../prng.js";
import { cyclesWithinTolerance, type SimCheck, type SimContext, type SimTest } from "../suite.js";

interface TbOutput {
  /** [die, word, hex] */
  bram_writes: [number, number, string][];
  /** [bank, word, hex] */
  bmem_writes: [number, number, string][];
  /** Per transfer: first beat offered to last write, inclusive. */
  transfer_cycles: number[];
  gather_beats: { keep: string; words: string[]; last: boolean }[];
  gather_cycles: number;
  /** Every cycle the testbench simulated, and the wall time it took (for simulated cycles/s). */
  cycles: number;
  wall_s: number;
}

export interface Scenario {
  /** Broadcast transfers, sent one after the other. */
  transfers: BusBeat[][];
  shift: number;
  count: number;
  results: bigint[][];
  mask: boolean[];
  /** Probability (%) that the controller is not ready for a gather beat. */
  stall: number;
  /** Element packing of the results (cfg_pack). */
  pack: boolean;
}

const hex = (v: bigint, bits: number) => v.toString(16).padStart(Math.ceil(bits / 4), "0");
const twos = (v: bigint, bits: number) => (v < 0n ? v + (1n << BigInt(bits)) : v);

export function randomScenario(p: InterconnectParams, r: Prng, opts: { beats: number; count: number; mask: "all" | "sparse"; stall: number; pack?: boolean }): Scenario {
  const banks = p.dies * p.banks_per_die;
  const lo = -(1n << BigInt(p.acc_bits - 1));
  const hi = (1n << BigInt(p.acc_bits - 1)) - 1n;
  // A BRAM broadcast of opts.beats beats (ending mid-word when words hold several beats), then a
  // load of a random bank's BMEM.
  const transfers: BusBeat[][] = [];
  if (opts.beats > 0) {
    const bramWords = Math.ceil(opts.beats / p.bram_r);
    const bramData = Array.from({ length: opts.beats }, () => r.bits(p.bcast_bits));
    transfers.push(busTransfer(p, 0, r.int(0, p.bram_depth - bramWords), bramData));
    const bmemBeats = opts.beats + 1;
    const bmemWords = p.bmem_r > 1 ? Math.ceil(bmemBeats / p.bmem_r) : bmemBeats * p.bmem_split;
    const bank = r.int(0, banks - 1);
    const word = p.bmem_split * r.int(0, Math.floor((p.bmem_depth - bmemWords) / p.bmem_split));
    transfers.push(busTransfer(p, bank + 1, word, Array.from({ length: bmemBeats }, () => r.bits(p.bcast_bits))));
  }
  // Results: random, plus the extremes (saturation both ways) and values at the rounding edge.
  const results = Array.from({ length: banks }, (_, b) =>
    Array.from({ length: opts.count }, (_, i) => {
      const pick = (b + i) % 7;
      if (pick === 0) return lo;
      if (pick === 1) return hi;
      if (pick === 2) return BigInt(r.int(-8, 8)) * 2n + 1n; // odd: exercises round half up
      return r.signed(p.acc_bits);
    }),
  );
  // Sparse: with several dies, die 0 sends nothing and the others a random subset; at least one bank.
  const mask =
    opts.mask === "all"
      ? Array.from({ length: banks }, () => true)
      : Array.from({ length: banks }, (_, b) => (p.dies === 1 || b >= p.banks_per_die) && r.int(0, 1) === 1);
  if (!mask.includes(true)) mask[banks - 1] = true;
  return { transfers, shift: r.int(0, Math.min(12, p.acc_bits - 1)), count: opts.count, results, mask, stall: opts.stall, pack: opts.pack ?? false };
}

function stimulus(p: InterconnectParams, s: Scenario, seed: number): string {
  const lines = [`stall ${s.stall} ${seed}`];
  for (const t of s.transfers) {
    for (const b of t) lines.push(`beat ${b.target} ${b.addr} ${b.slot} ${b.last ? 1 : 0} ${hex(b.data, p.bcast_bits)}`);
  }
  lines.push(`shift ${s.shift}`, `count ${s.count}`, `pack ${s.pack ? 1 : 0}`);
  s.results.forEach((rs, bank) => rs.forEach((v) => lines.push(`result ${bank} ${hex(twos(v, p.acc_bits), p.acc_bits)}`)));
  const mask = s.mask.reduce((m, on, b) => (on ? m | (1n << BigInt(b)) : m), 0n);
  lines.push(`mask ${mask.toString(16)}`);
  return lines.join("\n") + "\n";
}

export function interconnectSources(p: InterconnectParams): Record<string, string> {
  const modules = [dpramModule(p.name, p.bcast_bits, p.dieram_depth), ...interconnectModules(p)];
  const sources: Record<string, string> = {};
  for (const m of modules) sources[`${m.module}.v`] = m.text;
  sources["tb.cpp"] = interconnectTestbench(p).text;
  return sources;
}

/** Run one scenario on the RTL and compare with the golden model and the cycle formulas. */
export async function runScenario(loaded: LoadedSpec, label: string, s: Scenario, ctx: Pick<SimContext, "seed" | "trace" | "traceDir">): Promise<SimCheck[]> {
  const p = interconnectParams(loaded);
  const built = await buildVerilated({ name: `${p.name}_interconnect`, top: `${p.name}_interconnect`, sources: interconnectSources(p), trace: ctx.trace });
  const dir = mkdtempSync(join(tmpdir(), "pim-gen-ic-"));
  const file = join(dir, "stimulus.txt");
  writeFileSync(file, stimulus(p, s, ctx.seed));
  const name = `interconnect/${label}`;
  const traceArgs = ctx.trace ? [`+trace+${join(ctx.traceDir, `${name.replace(/\//g, "_")}.vcd`)}`] : [];
  const out = JSON.parse(await runVerilated(built, [file, `+verilator+seed+${ctx.seed}`, "+verilator+rand+reset+2", ...traceArgs])) as TbOutput;
  const speed = out.wall_s > 0 ? out.cycles / out.wall_s : undefined;
  const checks: SimCheck[] = [];

  if (s.transfers.length > 0) {
    const expected = broadcastWrites(p, s.transfers.flat());
    const key = (ws: readonly MemWrite[]) => ws.map((w) => `${w.addr}:${w.data.toString(16)}`).join(" ");
    const gotBram: MemWrite[][] = Array.from({ length: p.dies }, () => []);
    for (const [die, addr, data] of out.bram_writes) gotBram[die]?.push({ addr, data: BigInt(`0x${data}`) });
    const gotBmem: MemWrite[][] = Array.from({ length: p.dies * p.banks_per_die }, () => []);
    for (const [bank, addr, data] of out.bmem_writes) gotBmem[bank]?.push({ addr, data: BigInt(`0x${data}`) });
    const sameBram = gotBram.every((ws, d) => key(ws) === key(expected.bram[d]!));
    const sameBmem = gotBmem.every((ws, b) => key(ws) === key(expected.bmem[b]!));
    const models = s.transfers.map((t) => (t[0]!.target === 0 ? broadcastCycles(p, t.length) : bmemLoadCycles(p, t.length)));
    s.transfers.forEach((t, i) => {
      const what = t[0]!.target === 0 ? "broadcast" : "bmem_load";
      const same = what === "broadcast" ? sameBram : sameBmem;
      const measured = out.transfer_cycles[i] ?? -1;
      checks.push({
        name: `${name}.${what}`,
        passed: same && cyclesWithinTolerance(measured, models[i]!),
        cycles: { measured, model: models[i]! },
        ...(speed ? { sim_cycles_per_s: speed } : {}),
        ...(same ? {} : { detail: `${what === "broadcast" ? "BRAM" : "BMEM"} writes differ from the golden model (seed ${ctx.seed})` }),
      });
    });
  }

  const expectedBeats = gatherBeats(p, s.results, s.mask, s.shift, s.pack);
  const gotBeats = out.gather_beats.map((b) => ({
    keep: Array.from({ length: p.dies }, (_, d) => ((BigInt(`0x${b.keep}`) >> BigInt(d)) & 1n) === 1n),
    words: b.words.map((w) => BigInt(`0x${w}`)),
    last: b.last,
  }));
  const norm = (bs: typeof expectedBeats) => JSON.stringify(bs.map((b) => ({ keep: b.keep, words: b.words.map((w, d) => (b.keep[d] ? w.toString(16) : "-")), last: b.last })));
  const sameGather = norm(gotBeats) === norm(expectedBeats);
  const words = gatherWords(p, s.results.map((r) => r.length), s.mask, s.pack);
  const model = gatherCycles(p, words);
  checks.push({
    name: `${name}.gather`,
    // Cycles are only predicted when the controller is always ready.
    passed: sameGather && (s.stall > 0 || cyclesWithinTolerance(out.gather_cycles, model)),
    ...(s.stall > 0 ? {} : { cycles: { measured: out.gather_cycles, model } }),
    ...(speed ? { sim_cycles_per_s: speed } : {}),
    ...(sameGather ? {} : { detail: `gathered beats differ from the golden model (seed ${ctx.seed}): got ${norm(gotBeats)}, expected ${norm(expectedBeats)}` }),
  });
  return checks;
}

export const interconnectTests: SimTest[] = [
  {
    name: "interconnect/full",
    description: "broadcast of random beats to every die's BRAM; a load of one bank's BMEM; gather of every bank's results with the controller always ready",
    async run(ctx) {
      const p = interconnectParams(ctx.loaded);
      const r = prng(ctx.seed).fork("interconnect.full");
      return runScenario(ctx.loaded, "full", randomScenario(p, r, { beats: Math.min(9, p.bram_depth * p.bram_r - 1), count: 2 * p.per_word + 1, mask: "all", stall: 0 }), ctx);
    },
  },
  {
    name: "interconnect/sparse_stalled",
    description: "gather of a sparse mask (die 0 sends nothing) with the controller not ready 30 % of the time",
    async run(ctx) {
      const p = interconnectParams(ctx.loaded);
      const r = prng(ctx.seed).fork("interconnect.sparse");
      return runScenario(ctx.loaded, "sparse_stalled", randomScenario(p, r, { beats: 0, count: p.per_word + 1, mask: "sparse", stall: 30 }), ctx);
    },
  },
  {
    name: "interconnect/packed",
    description:
      "element packing: every bank's results (counts 1, a third of a word and one past a word, so banks share words) gathered back to back, one word per cycle: the golden beats in 1 + λ + (longest die's words) cycles",
    async run(ctx) {
      const p = interconnectParams(ctx.loaded);
      const counts = [...new Set([1, Math.max(1, Math.floor(p.per_word / 3)), p.per_word + 1])];
      const checks: SimCheck[] = [];
      for (const count of counts) {
        const r = prng(ctx.seed).fork(`interconnect.packed.${count}`);
        checks.push(...(await runScenario(ctx.loaded, `packed_${count}`, randomScenario(p, r, { beats: 0, count, mask: "all", stall: 0, pack: true }), ctx)));
      }
      return checks;
    },
  },
  {
    name: "interconnect/packed_sparse_stalled",
    description: "element packing with a sparse mask (words ORed as the die's rule says) and the controller not ready 30 % of the time: still exactly the golden beats",
    async run(ctx) {
      const p = interconnectParams(ctx.loaded);
      const r = prng(ctx.seed).fork("interconnect.packed_sparse");
      return runScenario(ctx.loaded, "packed_sparse_stalled", randomScenario(p, r, { beats: 0, count: Math.max(1, Math.floor(p.per_word / 2) + 1), mask: "sparse", stall: 30, pack: true }), ctx);
    },
  },
];
