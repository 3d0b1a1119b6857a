// The board top (<name>_board: the chip behind a UART) in Verilator, driven like a host would
// through its serial line: bytes in on uart_rx at a fast baud, bytes decoded from uart_tx. The
// expected bytes come from the test's own data (the words it wrote) and, for a GEMV, from the
// golden chip model and the plain matrix product — never from the RTL.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { boardParams, genericBoardModules, HEADER } from "../../generator/fpga/board.js";
import { fpgaFiles, littleEndian } from "../../generator/fpga/package.js";
import { chipParams, encodeInstruction, type ChipParams, type Instruction } from "../../generator/rtl/chip.js";
import { rtlFiles, rtlModules } from "../../generator/rtl/index.js";
import type { LoadedSpec } from "../../generator/spec/load.js";
import { loadSpec } from "../../generator/spec/load.js";
import { boardTbTop, boardTbTopName, boardTestbench } from "../../generator/tb/board_tb.js";
import { ChipModel, joinWords, unpackElements } from "../../sim/golden/chip.js";
import { buildVerilated, haveVerilator, lintVerilog, runVerilated, type BuiltModel } from "../../sim/harness/verilator.js";
import { prng } from "../../sim/prng.js";
import { gemvProgram } from "../../sim/tests/chip.js";

const hasVerilator = await haveVerilator();

describe.each(["specs/fpga-ice40.json", "specs/tiny.json", "specs/aim-llama7b.json"])("board modules of %s", (file) => {
  const loaded = loadSpec(file, { rtl: true });
  const verilog: Record<string, string> = {};
  for (const m of [...rtlModules(loaded), ...genericBoardModules(boardParams(loaded))]) verilog[`${m.module}.v`] = m.text;
  // The seed's chip is big: lint its board top's own modules, not the whole chip again (test/rtl/lint.test.ts does).
  const board = genericBoardModules(boardParams(loaded))
    .map((m) => m.module)
    .filter((m) => file !== "specs/aim-llama7b.json" || m !== `${loaded.spec.name}_board`);
  it.skipIf(!hasVerilator).each(board)("%s is -Wall clean", async (top) => {
    expect(await lintVerilog(verilog, top)).toEqual([]);
  }, 120_000);
});

interface BoardRun {
  rx: number[];
  sent: number;
  frame_errors: number;
  led: number;
  timeout: boolean;
  cycles: number;
}

/** Bytes of one frame: a header and a word, little-endian. */
function frame(header: number, word: bigint, bytes: number): number[] {
  return [header, ...littleEndian(word, bytes)];
}

/** A program as the host sends it: each instruction, then the data words it consumes (the last with tlast). */
function programBytes(p: ChipParams, instrs: readonly Instruction[], data: readonly bigint[]): number[] {
  const b = { cmd: Math.ceil(p.cmd_bits / 8), host: Math.ceil(p.host_bits / 8) };
  const out: number[] = [];
  let next = 0;
  for (const i of instrs) {
    out.push(...frame(HEADER.cmd, encodeInstruction(p, i), b.cmd));
    const n = i.op === "wr_cmem" || i.op === "wr_cram" || i.op === "ld_bmem" ? Number(i.n) : 0;
    for (let k = 0; k < n; k++) out.push(...frame(k === n - 1 ? HEADER.last : HEADER.data, data[next++]!, b.host));
  }
  if (next !== data.length) throw new Error(`test: the program consumes ${next} data words, ${data.length} were given`);
  return out;
}

/** Host words as the board sends them back: each little-endian, ceil(HOST_BITS / 8) bytes. */
function wordBytes(p: ChipParams, words: readonly bigint[]): number[] {
  return words.flatMap((w) => littleEndian(w, Math.ceil(p.host_bits / 8)));
}

const hex = (bytes: readonly number[]): string => bytes.map((b) => b.toString(16).padStart(2, "0")).join("");

/** The Verilator build: the files of <name>_board.f (as the package lists them), the wrapper, the testbench. */
function boardBuild(loaded: LoadedSpec, clk_hz: number, baud: number): { name: string; top: string; sources: Record<string, string> } {
  const name = loaded.spec.name;
  const tree = new Map([...rtlFiles(loaded), ...fpgaFiles(loaded)]);
  const list = tree.get(`${name}_board.f`)!.trim().split("\n");
  const sources: Record<string, string> = {};
  for (const path of list) sources[basename(path)] = tree.get(path)!;
  const b = boardParams(loaded);
  const wrapper = boardTbTop(b, clk_hz, baud);
  sources[basename(wrapper.file)] = wrapper.text;
  sources["board_tb.cpp"] = boardTestbench(b).text;
  return { name: `${name}_board_${clk_hz}_${baud}`, top: boardTbTopName(name), sources };
}

async function runBoard(model: BuiltModel, period: number, bytes: readonly number[], expect: number, vseed: number): Promise<BoardRun> {
  const dir = mkdtempSync(join(tmpdir(), "pim-gen-board-"));
  try {
    const stim = join(dir, "stimulus.txt");
    // Every byte takes 10 bit times; the chip's own work is small beside that.
    const limit = Math.ceil((bytes.length + expect + 200) * 10 * period) + 200_000;
    writeFileSync(stim, `period ${period}\nsend ${hex(bytes)}\nexpect ${expect}\nlimit ${limit}\n`);
    const out = await runVerilated(model, [stim, `+verilator+seed+${vseed}`, "+verilator+rand+reset+2"], { timeoutMs: 300_000 });
    const raw = JSON.parse(out.trim().split("\n").pop()!) as Record<string, unknown>;
    const rx = String(raw["rx"]);
    return {
      rx: Array.from({ length: rx.length / 2 }, (_, i) => parseInt(rx.slice(2 * i, 2 * i + 2), 16)),
      sent: Number(raw["sent"]),
      frame_errors: Number(raw["frame_errors"]),
      led: Number(raw["led"]),
      timeout: raw["timeout"] === true,
      cycles: Number(raw["cycles"]),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Three parameter sets: fpga-ice40 at exactly 8 clocks a bit; fpga-up5k (the preset that fits the
// UP5K) at its 12 MHz and 1.5 MBd, 8 clocks a bit; tiny (64-bit host words, 8 banks on 2 dies) at
// CLK_HZ / BAUD = 12.8, so the board rounds to 13 clocks a bit while the host keeps 12.8 (1.6 %
// apart, as a real host's baud differs from the board's).
const CASES = [
  { file: "specs/fpga-ice40.json", clk_hz: 8_000_000, baud: 1_000_000, period: 8, gemv: { rows: 8, cols: 32 } },
  { file: "specs/fpga-up5k.json", clk_hz: 12_000_000, baud: 1_500_000, period: 8, gemv: { rows: 8, cols: 32 } },
  { file: "specs/tiny.json", clk_hz: 100_000_000, baud: 7_812_500, period: 12.8, gemv: { rows: 8, cols: 32 } },
];

describe.skipIf(!hasVerilator).each(CASES)("board top of $file through its UART ($period clocks a bit)", (c) => {
  const loaded = loadSpec(c.file, { rtl: true });
  const p = chipParams(loaded);
  let built: Promise<BuiltModel> | undefined;
  const model = () => (built ??= buildVerilated(boardBuild(loaded, c.clk_hz, c.baud)));

  /** wr_cmem of random words at a random address, then rd_cmem of them. */
  function writeRead(seed: number): { bytes: number[]; expected: number[] } {
    const r = prng(seed).fork(`board/${c.file}`);
    const n = r.int(3, 6);
    const addr = r.int(0, p.cmem_depth - n);
    const words = Array.from({ length: n }, () => r.bits(p.host_bits));
    const bytes = programBytes(p, [{ op: "wr_cmem", addr, n }, { op: "rd_cmem", addr, n }], words);
    return { bytes, expected: wordBytes(p, words) };
  }

  it("writes CMEM through the UART and reads the same words back, with every Verilator seed", async () => {
    const m = await model();
    const { bytes, expected } = writeRead(1);
    for (const vseed of [1, 7919]) {
      const run = await runBoard(m, c.period, bytes, expected.length, vseed);
      expect(run.timeout).toBe(false);
      expect(run.sent).toBe(bytes.length);
      expect(run.frame_errors).toBe(0);
      expect(hex(run.rx)).toBe(hex(expected));
      expect(run.led & 2).toBe(0); // no protocol error
    }
  }, 600_000);

  it("queues programs sent back to back in the FIFO while the board is still answering (rd_cmem held by the UART)", async () => {
    const m = await model();
    // Each rd_cmem holds the chip until its words have left on uart_tx (10 bit times a byte): the
    // next program's bytes, sent meanwhile, wait in the receive FIFO.
    const progs = [writeRead(4), writeRead(5), writeRead(6)];
    const run = await runBoard(m, c.period, progs.flatMap((x) => x.bytes), progs.reduce((s, x) => s + x.expected.length, 0), 1);
    expect(run.timeout).toBe(false);
    expect(run.frame_errors).toBe(0);
    expect(hex(run.rx)).toBe(hex(progs.flatMap((x) => x.expected)));
    expect(run.led & 2).toBe(0);
  }, 600_000);

  it("drops a bad header byte, lights the error LED and goes on with the next frame", async () => {
    const m = await model();
    const { bytes, expected } = writeRead(2);
    const run = await runBoard(m, c.period, [0x58 /* 'X' */, ...bytes], expected.length, 1);
    expect(run.timeout).toBe(false);
    expect(hex(run.rx)).toBe(hex(expected));
    expect(run.led & 2).toBe(2);
  }, 600_000);

  it("runs a GEMV sent over the UART: the bytes back are the golden chip's and the plain matrix product", async () => {
    const m = await model();
    const setup = gemvProgram(p, prng(3).fork(`board/gemv/${c.file}`), c.gemv);
    const golden = new ChipModel(p);
    golden.send(setup.prog.data);
    for (const i of setup.prog.instrs) golden.run(i);
    const expected = wordBytes(p, golden.hostOut.map((o) => o.data));
    const bytes = programBytes(p, setup.prog.instrs, setup.prog.data);
    const run = await runBoard(m, c.period, bytes, expected.length, 1);
    expect(run.timeout).toBe(false);
    expect(run.frame_errors).toBe(0);
    expect(hex(run.rx)).toBe(hex(expected));
    // The same bytes against W·x computed on its own (requantised, in natural row order).
    const natural = setup.natural!;
    const hb = Math.ceil(p.host_bits / 8);
    const words = Array.from({ length: run.rx.length / hb }, (_, i) => run.rx.slice(i * hb, (i + 1) * hb).reduce((acc, v, k) => acc | (BigInt(v) << BigInt(8 * k)), 0n));
    const elems = unpackElements(joinWords(words, p.host_bits), p.act_bits, natural.length).map((v) => BigInt.asIntN(p.act_bits, v));
    expect(elems).toEqual(natural.map((v) => BigInt.asIntN(p.act_bits, v)));
    expect(run.led & 2).toBe(0);
  }, 600_000);
});
