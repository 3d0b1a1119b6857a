// The board top's Verilator testbench (templates/tb/board_tb.cpp.hbs): plays the host on the UART
// (bytes in on uart_rx, bytes decoded from uart_tx, printed as JSON), around a thin wrapper
// (templates/tb/board_tb_top.v.hbs) that sets the board's CLK_HZ and BAUD, so that a test can run
// the UART at a few clocks a bit. See test/rtl/board.test.ts.
import type { BoardParams } from "../fpga/board.js";
import { render } from "../rtl/render.js";
import type { TbFile } from "./bank_tb.js";

/** The Verilator top of the board testbench. */
export function boardTbTopName(name: string): string {
  return `${name}_board_tb_top`;
}

/** The wrapper: `<name>_board` with CLK_HZ and BAUD as its defaults. */
export function boardTbTop(b: Pick<BoardParams, "name">, clk_hz: number, baud: number): TbFile {
  const top = boardTbTopName(b.name);
  if (!Number.isSafeInteger(clk_hz) || !Number.isSafeInteger(baud) || clk_hz < 1 || baud < 1 || clk_hz > 2 ** 31 - 1) {
    throw new Error(`board testbench: CLK_HZ ${clk_hz} and BAUD ${baud} must be positive 32-bit integers`);
  }
  return { file: `tb/${top}.v`, text: render("tb/board_tb_top.v.hbs", { name: b.name, clk_hz, baud }) };
}

export function boardTestbench(b: Pick<BoardParams, "name">): TbFile {
  const top = boardTbTopName(b.name);
  return { file: `tb/${b.name}_board_tb.cpp`, text: render("tb/board_tb.cpp.hbs", { name: b.name, top }) };
}
