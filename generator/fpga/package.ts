// The FPGA hand-off package of a spec: everything under rtl-out/<name>/fpga/, plus <name>_board.f
// (the board top's file list, beside <name>.f) and <name>.core (FuseSoC) at the tree's root.
// Pure: the same spec gives byte-identical files. See fpga/README.md of a generated tree (from
// templates/fpga/README.md.hbs) for what each file is and how to run it.
import { chipParams, encodeInstruction } from "../rtl/chip.js";
import { render } from "../rtl/render.js";
import type { LoadedSpec } from "../spec/load.js";
import {
  boardParams,
  genericBoardModules,
  HEADER,
  ICE40_BOARD,
  ice40ClockDoc,
  ice40Params,
  ice40Pcf,
  ice40Ports,
  ice40TopModule,
  ICE40_CLOCKS_MHZ,
} from "./board.js";
import { flow, type Flow } from "./flow.js";
import { coreVlnv, fusesocFiles } from "./fusesoc.js";
import { quartusFiles } from "./quartus.js";
import { vivadoFiles } from "./vivado.js";
import { yosysFiles } from "./yosys.js";

/** `value` as `bytes` bytes, little-endian. */
export function littleEndian(value: bigint, bytes: number): number[] {
  return Array.from({ length: bytes }, (_, i) => Number((value >> BigInt(8 * i)) & 0xffn));
}

const hex = (bytes: number[]): string => bytes.map((b) => b.toString(16).padStart(2, "0")).join("");

/** The README's example: write a word to CMEM word 0, read it back (the bytes on the wire). */
function example(loaded: LoadedSpec): { write: string; data: string; read: string; word: string; answer: string; all: string } {
  const p = chipParams(loaded);
  const b = boardParams(loaded);
  // Bytes 01 12 23 …, the last one cut to the word's width.
  const wordBytes = Array.from({ length: b.host_bytes }, (_, i) => (0x11 * i + 0x01) & 0xff);
  wordBytes[b.host_bytes - 1] = wordBytes[b.host_bytes - 1]! & (0xff >> (8 * b.host_bytes - p.host_bits));
  const word = wordBytes.reduce((acc, v, i) => acc | (BigInt(v) << BigInt(8 * i)), 0n);
  const write = [HEADER.cmd, ...littleEndian(encodeInstruction(p, { op: "wr_cmem", addr: 0, n: 1 }), b.cmd_bytes)];
  const data = [HEADER.data, ...wordBytes];
  const read = [HEADER.cmd, ...littleEndian(encodeInstruction(p, { op: "rd_cmem", addr: 0, n: 1 }), b.cmd_bytes)];
  return {
    write: hex(write),
    data: hex(data),
    read: hex(read),
    word: word.toString(16),
    answer: hex(wordBytes),
    all: hex([...write, ...data, ...read]),
  };
}

function readme(loaded: LoadedSpec, f: Flow): string {
  const context: Record<string, unknown> = { f, vlnv: coreVlnv(f), board: ICE40_BOARD };
  if (f.board) {
    const b = boardParams(loaded);
    Object.assign(context, { b, p: b.chip, example: example(loaded) });
    if (f.ice40) {
      const i = ice40Params(loaded);
      Object.assign(context, { clock_doc: ice40ClockDoc(i), ice40_ports: ice40Ports(i) });
    } else {
      Object.assign(context, {
        no_ice40: `the spec's clock (${f.clock_mhz} MHz) is not one the UP5K makes (${ICE40_CLOCKS_MHZ.join(", ")} MHz)`,
      });
    }
  }
  return render("fpga/README.md.hbs", context);
}

/** Every file of the package, path relative to rtl-out/<name>/ → text. */
export function fpgaFiles(loaded: LoadedSpec): Map<string, string> {
  const f = flow(loaded);
  const files = new Map<string, string>();
  if (f.board) {
    const b = boardParams(loaded);
    for (const m of genericBoardModules(b)) files.set(m.file, m.text);
    files.set(f.fileListFile, f.fileList.map((p) => `${p}\n`).join(""));
    if (f.ice40) {
      const m = ice40TopModule(b, ice40Params(loaded));
      files.set(m.file, m.text);
      files.set(`fpga/board/${f.name}_ice40.pcf`, ice40Pcf(loaded));
    }
  }
  for (const part of [vivadoFiles(f), quartusFiles(f), yosysFiles(f), fusesocFiles(f)]) {
    for (const [path, text] of part) files.set(path, text);
  }
  files.set("fpga/README.md", readme(loaded, f));
  return files;
}
