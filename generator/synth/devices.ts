// The device `gen-rtl synth` checks the fit against, one per target, with its capacities from the
// vendor's datasheet, in the units of cells.ts (LUT sites, flip-flops, block RAM units, DSP blocks).
import type { Resources } from "./cells.js";
import type { Target } from "./targets.js";

export interface Device {
  /** Part name. */
  name: string;
  lut: number;
  ff: number;
  /** Block RAMs in the unit cells.ts counts (Xilinx: RAMB18 halves). */
  bram: number;
  dsp: number;
  /** What the units are, for the README and messages. */
  note: string;
}

export const DEVICES: Record<Target, Device> = {
  // iCE40 UltraPlus family datasheet (FPGA-DS-02008): UP5K 5280 LUT4 (each with a DFF), 30
  // sysMEM EBR of 4 Kbit, 8 sysDSP (SB_MAC16), plus 4 single-port 256 Kbit SPRAMs (not counted).
  ice40: { name: "iCE40UP5K-SG48", lut: 5280, ff: 5280, bram: 30, dsp: 8, note: "SB_RAM40_4K (4 Kbit), SB_MAC16" },
  // ECP5 family datasheet (FPGA-DS-02012): LFE5U-85F 84K LUT4 (83640), one FF per LUT, 208 sysMEM
  // EBR of 18 Kbit, 156 18×18 multipliers.
  ecp5: { name: "LFE5U-85F", lut: 83640, ff: 83640, bram: 208, dsp: 156, note: "DP16KD (18 Kbit), MULT18X18D" },
  // 7 Series product table (DS180): XC7A100T 63400 LUT6, 126800 FFs, 135 RAMB36 = 270 RAMB18,
  // 240 DSP48E1.
  xilinx: { name: "XC7A100T", lut: 63400, ff: 126800, bram: 270, dsp: 240, note: "RAMB18 units (RAMB36E1 = 2), DSP48E1" },
  // GW1N series datasheet (DS100): GW1N-9 8640 LUT4, 6480 FFs, 26 BSRAM of 18 Kbit (468 Kbit),
  // 20 18×18 multipliers.
  gowin: { name: "GW1N-9", lut: 8640, ff: 6480, bram: 26, dsp: 20, note: "BSRAM (18 Kbit), MULT18X18" },
};

export type FitResource = "lut" | "ff" | "bram" | "dsp";
export const FIT_RESOURCES: readonly FitResource[] = ["lut", "ff", "bram", "dsp"];

const RESOURCE_NAMES: Record<FitResource, string> = { lut: "LUTs", ff: "flip-flops", bram: "block RAMs", dsp: "DSP blocks" };

export interface Overflow {
  resource: FitResource;
  need: number;
  capacity: number;
}

/** The resources that exceed the device; empty when the design fits. */
export function overflows(r: Resources, d: Device): Overflow[] {
  return FIT_RESOURCES.filter((k) => r[k] > d[k]).map((k) => ({ resource: k, need: r[k], capacity: d[k] }));
}

/** "block RAMs: need 66, the iCE40UP5K-SG48 has 30; DSP blocks: need 31, …". */
export function overflowMessage(list: Overflow[], d: Device): string {
  return list.map((o) => `${RESOURCE_NAMES[o.resource]}: need ${o.need}, the ${d.name} has ${o.capacity}`).join("; ");
}
