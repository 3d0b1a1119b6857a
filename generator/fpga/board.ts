// The board-level top: the chip behind a UART, for small configurations on a real FPGA board.
//
// Files (paths relative to rtl-out/<name>/; templates in templates/fpga/):
//   fpga/board/<name>_uart_rx.v      8N1 receiver (valid/ready out, overrun flag)
//   fpga/board/<name>_uart_tx.v      8N1 transmitter (valid/ready in)
//   fpga/board/<name>_byte_fifo.v    first-word-fall-through byte FIFO (block-RAM friendly)
//   fpga/board/<name>_host_bridge.v  the byte protocol: frames in → s_cmd / s_data, m_data → bytes
//   fpga/board/<name>_board.v        <name>_board: reset, UART, FIFO, bridge, chip, LEDs (no
//                                    vendor primitive: simulates in Verilator, builds anywhere)
//   fpga/board/<name>_ice40_top.v    <name>_ice40_top: the iCE40 UP5K wrapper (SB_HFOSC or the
//                                    board's 12 MHz oscillator), instantiates <name>_board
//   <name>_board.f                   the chip's files, then the board's, in dependency order
//                                    (written by the package, package.ts), without the iCE40
//                                    wrapper, which only the iCE40 flow adds
//
// The byte protocol is documented in templates/fpga/host_bridge.v.hbs and fpga/README.md.
//
// Contract with generator/synth/ (keep stable): boardFiles(loaded) and ice40Pcf(loaded).
import { UserError } from "../errors.js";
import { chipParams, type ChipParams } from "../rtl/chip.js";
import { dependencyOrder, rtlModules, type RtlModule } from "../rtl/index.js";
import { render } from "../rtl/render.js";
import type { LoadedSpec } from "../spec/load.js";
import { IDENTIFIER } from "../spec/schema.js";

/** Default UART speed (8N1). */
export const DEFAULT_BAUD = 115200;
/** Default depth of the receive FIFO: one iCE40 EBR as 512 × 8. */
export const DEFAULT_RX_FIFO_DEPTH = 512;
/** Protocol header bytes (ASCII). */
export const HEADER = { cmd: 0x43 /* 'C' */, data: 0x44 /* 'D' */, last: 0x4c /* 'L' */ } as const;
/** The largest CLK_HZ a Verilog integer parameter holds. */
const MAX_CLK_HZ = 2 ** 31 - 1;

/** SB_HFOSC's CLKHF_DIV per clock (MHz); 12 MHz comes from the board's crystal oscillator instead. */
const HFOSC_DIV: Record<number, string> = { 48: "0b00", 24: "0b01", 6: "0b11" };
export const ICE40_CLOCKS_MHZ: readonly number[] = [48, 24, 12, 6];

/**
 * The board: iCEBreaker (1BitSquared, iCE40UP5K-SG48). Pins from its reference pcf: the 12 MHz
 * oscillator on 35, the FTDI's second channel as UART (RX 6 into the FPGA, TX 9 out of it), the
 * user button BTN_N on 10 (active low), the red and green LEDs on 11 and 37 (active low).
 */
export const ICE40_BOARD = {
  name: "iCEBreaker (iCE40UP5K-SG48)",
  device: "up5k",
  package: "sg48",
  pins: { clk_12m: 35, uart_rx: 6, uart_tx: 9, btn_n: 10, led_r_n: 11, led_g_n: 37 },
} as const;

export interface BoardParams {
  name: string;
  /** The chip's clock in Hz (the board's CLK_HZ default). */
  clk_hz: number;
  baud: number;
  rx_fifo_depth: number;
  chip: ChipParams;
  /** Bytes of a command and of a data word on the wire: ceil(bits / 8). */
  cmd_bytes: number;
  host_bytes: number;
}

export interface Ice40Params {
  name: string;
  clock_mhz: number;
  /** SB_HFOSC's CLKHF_DIV, or null: the clock comes from the 12 MHz oscillator pin. */
  hfosc_div: string | null;
}

function checkName(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`fpga: "${name}" is not an identifier`);
  return name;
}

export function boardParams(loaded: LoadedSpec): BoardParams {
  const name = checkName(loaded.spec.name);
  const clk_hz = Math.round(loaded.spec.clock_mhz * 1e6);
  if (clk_hz > MAX_CLK_HZ) {
    throw new UserError(
      `spec ${loaded.file}: clock_mhz: ${loaded.spec.clock_mhz} MHz is beyond what the board top's CLK_HZ (a 32-bit Verilog integer) holds; the board top needs clock_mhz ≤ ${Math.floor(MAX_CLK_HZ / 1e6)}`,
    );
  }
  const chip = chipParams(loaded);
  return {
    name,
    clk_hz,
    baud: DEFAULT_BAUD,
    rx_fifo_depth: DEFAULT_RX_FIFO_DEPTH,
    chip,
    cmd_bytes: Math.ceil(chip.cmd_bits / 8),
    host_bytes: Math.ceil(chip.host_bits / 8),
  };
}

/** True when the board top can be generated for the spec (its clock fits CLK_HZ). */
export function boardSupported(loaded: LoadedSpec): boolean {
  return Math.round(loaded.spec.clock_mhz * 1e6) <= MAX_CLK_HZ;
}

/** The iCE40 wrapper's clock; a UserError when the spec's clock is not one the UP5K makes. */
export function ice40Params(loaded: LoadedSpec): Ice40Params {
  const name = checkName(loaded.spec.name);
  const mhz = loaded.spec.clock_mhz;
  if (!ICE40_CLOCKS_MHZ.includes(mhz)) {
    throw new UserError(
      `spec ${loaded.file}: clock_mhz: ${mhz} MHz cannot be made on the iCE40 UP5K board: the wrapper ${name}_ice40_top takes 48, 24 or 6 MHz (SB_HFOSC's 48 MHz divided by 1, 2, 8) or 12 MHz (the board's oscillator); set clock_mhz to one of ${ICE40_CLOCKS_MHZ.join(", ")}`,
    );
  }
  return { name, clock_mhz: mhz, hfosc_div: HFOSC_DIV[mhz] ?? null };
}

export function ice40Supported(loaded: LoadedSpec): boolean {
  return ICE40_CLOCKS_MHZ.includes(loaded.spec.clock_mhz);
}

function boardModule(module: string, template: string, context: object, uses: string[] = []): RtlModule {
  return { module, file: `fpga/board/${module}.v`, text: render(`fpga/${template}`, context), uses };
}

/** The generic board modules (no vendor primitive), in dependency order. */
export function genericBoardModules(b: BoardParams): RtlModule[] {
  const n = b.name;
  const hex = (v: number): string => v.toString(16).padStart(2, "0");
  // The heartbeat counter: its top bit toggles about once a second.
  const hb_bits = Math.max(2, Math.round(Math.log2(b.clk_hz)));
  const ctx = {
    name: n,
    b,
    p: b.chip,
    hdr: { cmd: hex(HEADER.cmd), data: hex(HEADER.data), last: hex(HEADER.last) },
    hb_bits,
    hb_toggle: hb_bits - 1,
  };
  return dependencyOrder([
    boardModule(`${n}_uart_rx`, "uart_rx.v.hbs", ctx),
    boardModule(`${n}_uart_tx`, "uart_tx.v.hbs", ctx),
    boardModule(`${n}_byte_fifo`, "byte_fifo.v.hbs", ctx),
    boardModule(`${n}_host_bridge`, "host_bridge.v.hbs", ctx),
    boardModule(`${n}_board`, "board.v.hbs", ctx, [`${n}_uart_rx`, `${n}_uart_tx`, `${n}_byte_fifo`, `${n}_host_bridge`]),
  ]);
}

/** Where the iCE40 wrapper's clock comes from, in a sentence or two (the wrapper's header, the README). */
export function ice40ClockDoc(i: Ice40Params): string {
  return i.hfosc_div === null
    ? `${i.clock_mhz} MHz from the board's oscillator (pin ${ICE40_BOARD.pins.clk_12m}), precise enough for the UART.`
    : `${i.clock_mhz} MHz from SB_HFOSC (48 MHz / ${48 / i.clock_mhz}). The internal oscillator is specified within ±10 % only (typically a few %); if the UART garbles bytes, lower BAUD or use clock_mhz 12 (the board's crystal oscillator).`;
}

export function ice40TopModule(b: BoardParams, i: Ice40Params): RtlModule {
  return boardModule(
    `${b.name}_ice40_top`,
    "ice40_top.v.hbs",
    { name: b.name, b, i, board: ICE40_BOARD, use_pin_clock: i.hfosc_div === null, hfosc_divisor: 48 / i.clock_mhz, clock_doc: ice40ClockDoc(i) },
    [`${b.name}_board`],
  );
}

/** The chip's files then the generic board's (relative to rtl-out/<name>/): `<name>_board.f`. */
export function boardFileList(loaded: LoadedSpec): string[] {
  return [...rtlModules(loaded).map((m) => m.file), ...genericBoardModules(boardParams(loaded)).map((m) => m.file)];
}

/**
 * The board top for the iCE40 flow (the contract with generator/synth/):
 *   top       `<name>_board`, the generic board top (Verilator, any FPGA)
 *   ice40Top  `<name>_ice40_top`, the iCE40 UP5K wrapper (SB_HFOSC / oscillator pin)
 *   files     the board modules only (path relative to rtl-out/<name>/ → text), wrapper included
 *   fileList  every file, chip then board, in dependency order, the wrapper last
 * A UserError when the spec's clock is not one the iCE40 wrapper makes (see ice40Params).
 */
export function boardFiles(loaded: LoadedSpec): { top: string; ice40Top: string; files: Map<string, string>; fileList: string[] } {
  const b = boardParams(loaded);
  const i = ice40Params(loaded);
  const modules = [...genericBoardModules(b), ice40TopModule(b, i)];
  return {
    top: `${b.name}_board`,
    ice40Top: `${b.name}_ice40_top`,
    files: new Map(modules.map((m) => [m.file, m.text])),
    fileList: [...rtlModules(loaded).map((m) => m.file), ...modules.map((m) => m.file)],
  };
}

/** The iCE40 wrapper's ports and their pins on the board. */
export function ice40Ports(i: Ice40Params): { port: string; pin: number; what: string }[] {
  const p = ICE40_BOARD.pins;
  return [
    ...(i.hfosc_div === null ? [{ port: "clk_12m", pin: p.clk_12m, what: "12 MHz oscillator" }] : []),
    { port: "btn_n", pin: p.btn_n, what: "user button BTN_N (active low): reset" },
    { port: "uart_rx", pin: p.uart_rx, what: "UART RX: FTDI channel B TX → FPGA" },
    { port: "uart_tx", pin: p.uart_tx, what: "UART TX: FPGA → FTDI channel B RX" },
    { port: "led_r_n", pin: p.led_r_n, what: "red LED (active low): a protocol error" },
    { port: "led_g_n", pin: p.led_g_n, what: "green LED (active low): heartbeat" },
  ];
}

/** The iCE40 pin constraints (nextpnr-ice40 --pcf) of `<name>_ice40_top`. */
export function ice40Pcf(loaded: LoadedSpec): string {
  const i = ice40Params(loaded);
  return render("fpga/ice40.pcf.hbs", { name: i.name, board: ICE40_BOARD, ports: ice40Ports(i), i });
}
