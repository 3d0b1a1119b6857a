// The Yosys synthesis scripts (templates/fpga/yosys.ys.hbs): one per FPGA family, each reading every
// file of its top's list. Run from rtl-out/<name>/.
import { render } from "../rtl/render.js";
import type { Flow } from "./flow.js";

export interface YosysTarget {
  /** In the script's file name: fpga/yosys/<name>_<id>.ys. */
  id: "ice40" | "ecp5" | "xilinx" | "gowin";
  what: string;
  /** The synthesis command, without -top. */
  command: string;
}

export const YOSYS_TARGETS: readonly YosysTarget[] = [
  { id: "ice40", what: "Lattice iCE40 (UP5K: with its DSP blocks)", command: "synth_ice40 -dsp" },
  { id: "ecp5", what: "Lattice ECP5", command: "synth_ecp5" },
  { id: "xilinx", what: "Xilinx 7-series", command: "synth_xilinx" },
  { id: "gowin", what: "Gowin GW1N / GW2A", command: "synth_gowin" },
];

export function yosysScriptPath(name: string, id: YosysTarget["id"]): string {
  return `fpga/yosys/${name}_${id}.ys`;
}

export function yosysFiles(f: Flow): Map<string, string> {
  return new Map(
    YOSYS_TARGETS.map((t) => {
      const ice40 = t.id === "ice40";
      const top = ice40 ? f.ice40Top : f.top;
      const next =
        ice40 && f.ice40
          ? `nextpnr-ice40 --up5k --package sg48 --json fpga/yosys/${f.name}_ice40.json --pcf fpga/board/${f.name}_ice40.pcf --asc ${f.name}.asc`
          : "";
      const context = { f, top, files: ice40 ? f.ice40FileList : f.fileList, target: { ...t, next } };
      return [yosysScriptPath(f.name, t.id), render("fpga/yosys.ys.hbs", context)] as const;
    }),
  );
}
