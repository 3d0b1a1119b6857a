// What every FPGA flow of the package needs, computed once: the top module, the file list, the
// top's ports and the clock. The templates (templates/fpga/) only print it.
//
// The vendor flows (Vivado, Quartus, Yosys for ECP5, Xilinx and Gowin) build <name>_board, the chip
// behind a UART (few pins, so they place and route on a real board), from <name>_board.f. The
// iCE40 flow builds <name>_ice40_top (the board with the UP5K's clock and pins) when the spec's
// clock is one the UP5K makes, else <name>_board. A spec whose clock the board cannot take (above
// 2147 MHz) gets the bare chip, <name>_chip, from <name>.f.
import { chipParams } from "../rtl/chip.js";
import { rtlModules } from "../rtl/index.js";
import type { LoadedSpec } from "../spec/load.js";
import { IDENTIFIER } from "../spec/schema.js";
import { boardFileList, boardSupported, ice40Supported } from "./board.js";

export interface Port {
  name: string;
  dir: "in" | "out";
  width: number;
  what: string;
}

export interface Flow {
  name: string;
  /** The top the vendor flows build, and its ports. */
  top: string;
  ports: Port[];
  /** Files (relative to rtl-out/<name>/) of that top, in dependency order, and the list's file. */
  fileList: string[];
  fileListFile: string;
  /** The top of the iCE40 flow and its files (the wrapper added when there is one). */
  ice40Top: string;
  ice40FileList: string[];
  board: boolean;
  ice40: boolean;
  clock_mhz: number;
  /** 1000 / clock_mhz, printed with at most 3 decimals. */
  period_ns: string;
}

/** The clock period in ns for a clock in MHz, as the constraint files print it. */
export function periodNs(mhz: number): string {
  const text = (1000 / mhz).toFixed(3);
  return text.replace(/\.?0+$/, "");
}

/** The board top's ports (templates/fpga/board.v.hbs). */
export const BOARD_PORTS: readonly Port[] = [
  { name: "clk", dir: "in", width: 1, what: "clock" },
  { name: "rst_n", dir: "in", width: 1, what: "reset, active low (a button; tie high if none)" },
  { name: "uart_rx", dir: "in", width: 1, what: "UART from the host" },
  { name: "uart_tx", dir: "out", width: 1, what: "UART to the host" },
  { name: "led", dir: "out", width: 2, what: "LEDs, active high: [0] heartbeat, [1] protocol error" },
];

function chipPorts(loaded: LoadedSpec): Port[] {
  const p = chipParams(loaded);
  return [
    { name: "clk", dir: "in", width: 1, what: "clock" },
    { name: "rst", dir: "in", width: 1, what: "reset, active high" },
    { name: "s_cmd_tvalid", dir: "in", width: 1, what: "instruction valid" },
    { name: "s_cmd_tready", dir: "out", width: 1, what: "instruction ready" },
    { name: "s_cmd_tdata", dir: "in", width: p.cmd_bits, what: "instruction" },
    { name: "s_data_tvalid", dir: "in", width: 1, what: "data in valid" },
    { name: "s_data_tready", dir: "out", width: 1, what: "data in ready" },
    { name: "s_data_tdata", dir: "in", width: p.host_bits, what: "data in" },
    { name: "s_data_tlast", dir: "in", width: 1, what: "data in last" },
    { name: "m_data_tvalid", dir: "out", width: 1, what: "data out valid" },
    { name: "m_data_tready", dir: "in", width: 1, what: "data out ready" },
    { name: "m_data_tdata", dir: "out", width: p.host_bits, what: "data out" },
    { name: "m_data_tlast", dir: "out", width: 1, what: "data out last" },
  ];
}

export function flow(loaded: LoadedSpec): Flow {
  const name = loaded.spec.name;
  if (!IDENTIFIER.test(name)) throw new Error(`fpga: "${name}" is not an identifier`);
  const board = boardSupported(loaded);
  const ice40 = board && ice40Supported(loaded);
  const fileList = board ? boardFileList(loaded) : rtlModules(loaded).map((m) => m.file);
  const top = board ? `${name}_board` : `${name}_chip`;
  return {
    name,
    top,
    ports: board ? [...BOARD_PORTS] : chipPorts(loaded),
    fileList,
    fileListFile: board ? `${name}_board.f` : `${name}.f`,
    ice40Top: ice40 ? `${name}_ice40_top` : top,
    ice40FileList: ice40 ? [...fileList, `fpga/board/${name}_ice40_top.v`] : fileList,
    board,
    ice40,
    clock_mhz: loaded.spec.clock_mhz,
    period_ns: periodNs(loaded.spec.clock_mhz),
  };
}

/** Each port bit by bit (`led[0]`, `led[1]`) up to 8 bits, wider ports as `name[*]`. */
export function portPins(ports: readonly Port[]): { pin: string; dir: string; what: string }[] {
  return ports.flatMap((p) =>
    p.width === 1
      ? [{ pin: p.name, dir: p.dir, what: p.what }]
      : p.width <= 8
        ? Array.from({ length: p.width }, (_, i) => ({ pin: `${p.name}[${i}]`, dir: p.dir, what: `${p.what} (bit ${i})` }))
        : [{ pin: `${p.name}[*]`, dir: p.dir, what: `${p.what} (${p.width} bits: one line per bit)` }],
  );
}
