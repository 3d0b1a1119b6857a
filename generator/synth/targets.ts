// The FPGA families `gen-rtl synth` targets, and what Yosys 0.23 does for each: the synthesis
// command, whether and from what width it maps multipliers to DSP blocks, and how big a block RAM is.
export const TARGETS = ["ice40", "ecp5", "xilinx", "gowin"] as const;
export type Target = (typeof TARGETS)[number];

/**
 * When Yosys maps a multiplier to a DSP block: its `mul2dsp` thresholds as synth_<family> passes
 * them in Yosys 0.23 (`yosys -h synth_ice40` prints the script): both operands at least minA/minB
 * bits and the product at least minY bits. null: the family's synth script maps no DSPs at all
 * (synth_gowin in Yosys 0.23 has no DSP step; multipliers become LUTs and ALUs).
 */
export interface DspRule {
  minA: number;
  minB: number;
  minY: number;
}

export interface TargetInfo {
  /** The Yosys command, without -top. */
  synth: string;
  dsp: DspRule | null;
  /** Bits of one block RAM (the device's block unit). */
  bramBits: number;
  /** The block RAM primitive's name, for messages. */
  bramName: string;
  /** The DSP primitive's name, for messages. */
  dspName: string;
}

// Hierarchy is kept (-noflatten; synth_xilinx keeps it by default) so resources can be reported per
// module; IO buffers are left out (the chip's ports are not the board's pins).
export const TARGET_INFO: Record<Target, TargetInfo> = {
  ice40: {
    synth: "synth_ice40 -dsp -noflatten",
    dsp: { minA: 2, minB: 2, minY: 11 },
    bramBits: 4096,
    bramName: "SB_RAM40_4K",
    dspName: "SB_MAC16",
  },
  ecp5: {
    synth: "synth_ecp5 -noflatten",
    dsp: { minA: 2, minB: 2, minY: 0 },
    bramBits: 18432,
    bramName: "DP16KD",
    dspName: "MULT18X18D",
  },
  xilinx: {
    synth: "synth_xilinx -family xc7 -noiopad",
    dsp: { minA: 2, minB: 2, minY: 9 },
    bramBits: 18432,
    bramName: "RAMB18E1/RAMB36E1",
    dspName: "DSP48E1",
  },
  gowin: {
    synth: "synth_gowin -noflatten -noiopads",
    dsp: null,
    bramBits: 18432,
    bramName: "BSRAM (DP/SDP/SP…)",
    dspName: "MULT*",
  },
};

/** True when Yosys maps an a × b-bit multiplier of `target` to a DSP block. */
export function dspExpected(target: Target, a: number, b: number): boolean {
  const rule = TARGET_INFO[target].dsp;
  if (rule === null) return false;
  const [lo, hi] = a <= b ? [a, b] : [b, a];
  const [minLo, minHi] = rule.minA <= rule.minB ? [rule.minA, rule.minB] : [rule.minB, rule.minA];
  return lo >= minLo && hi >= minHi && a + b >= rule.minY;
}
