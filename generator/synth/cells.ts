// Technology cells → resources, one table per target. Yosys names the cells of each FPGA family
// after the vendor's primitives; these tables say which resource each one uses, so a synthesis
// run becomes LUTs, flip-flops, block RAMs, DSPs, carry cells and LUT RAM in the same units as the
// device's capacity (devices.ts).
//
// `lut` is LUT *sites*: a logic LUT is one; a carry or LUT-RAM cell that occupies LUTs of its own
// counts those too (ECP5 CCU2C: the two LUT4s of a slice; Gowin ALU: one LUT; LUT RAM: the LUTs it
// is built from), so the total compares with the device's LUT count. Carry cells whose sum LUTs
// Yosys emits as separate LUT cells (iCE40 SB_CARRY, Xilinx CARRY4) add no LUT sites. Wide-function
// multiplexers (ECP5 PFUMX/L6MUX21, Xilinx MUXF7/8, Gowin MUX2_LUT5…8) are dedicated slice muxes:
// no LUT sites. Block RAM is counted in the device's block unit (Xilinx: RAMB18 halves, so a
// RAMB36E1 is 2).
import type { Target } from "./targets.js";

export type ResourceKind = "lut" | "ff" | "bram" | "dsp" | "carry" | "lutram" | "mux" | "io" | "other" | "unmapped";

export interface CellClass {
  kind: ResourceKind;
  /** LUT sites the cell occupies (default 1 for kind "lut", else 0). */
  lutSites?: number;
  /** Block RAM units (default 1 for kind "bram"). */
  bramUnits?: number;
}

type Table = { exact: Record<string, CellClass>; patterns: [RegExp, CellClass][] };

const LUT: CellClass = { kind: "lut", lutSites: 1 };
const FF: CellClass = { kind: "ff" };
const BRAM: CellClass = { kind: "bram", bramUnits: 1 };
const DSP: CellClass = { kind: "dsp" };
const MUX: CellClass = { kind: "mux" };
const IO: CellClass = { kind: "io" };
const OTHER: CellClass = { kind: "other" };

const ICE40: Table = {
  exact: {
    SB_LUT4: LUT,
    SB_CARRY: { kind: "carry", lutSites: 0 },
    SB_MAC16: DSP,
    SB_SPRAM256KA: OTHER, // single-port 256 Kbit SPRAM of the UP5K: not a dual-port block RAM
    SB_HFOSC: OTHER,
    SB_LFOSC: OTHER,
    SB_PLL40_CORE: OTHER,
    SB_PLL40_PAD: OTHER,
    SB_GB: IO,
    SB_WARMBOOT: OTHER,
    SB_RGBA_DRV: IO,
  },
  patterns: [
    [/^SB_DFF\w*$/, FF],
    [/^SB_RAM40_4K(NR|NW|NRNW)?$/, BRAM],
    [/^SB_(IO|GB_IO|IO_OD|IO_I3C)$/, IO],
  ],
};

const ECP5: Table = {
  exact: {
    LUT4: LUT,
    LUT2: LUT,
    TRELLIS_FF: FF,
    CCU2C: { kind: "carry", lutSites: 2 },
    DP16KD: BRAM,
    PDPW16KD: BRAM,
    MULT18X18D: DSP,
    ALU54B: DSP,
    PFUMX: MUX,
    L6MUX21: MUX,
    // A 16×4 distributed RAM: the four LUTs of two slices hold the bits.
    TRELLIS_DPR16X4: { kind: "lutram", lutSites: 4 },
    DPR16X4C: { kind: "lutram", lutSites: 4 },
    TRELLIS_RAM16X2: { kind: "lutram", lutSites: 2 },
    TRELLIS_IO: IO,
    DCCA: IO,
    EHXPLLL: OTHER,
    OSCG: OTHER,
    GSR: OTHER,
    SGSR: OTHER,
    INV: LUT,
  },
  patterns: [
    [/^FD1[PS]3\w+$/, FF],
    [/^(IB|OB|BB)\w*$/, IO],
  ],
};

const XILINX: Table = {
  exact: {
    LUT6_2: { kind: "lut", lutSites: 1 },
    INV: LUT,
    CARRY4: { kind: "carry", lutSites: 0 },
    CARRY8: { kind: "carry", lutSites: 0 },
    RAMB18E1: BRAM,
    RAMB36E1: { kind: "bram", bramUnits: 2 },
    DSP48E1: DSP,
    MUXF7: MUX,
    MUXF8: MUX,
    // Distributed RAM and shift registers live in SLICEM LUTs.
    RAM32M: { kind: "lutram", lutSites: 4 },
    RAM64M: { kind: "lutram", lutSites: 4 },
    RAM32X1D: { kind: "lutram", lutSites: 2 },
    RAM64X1D: { kind: "lutram", lutSites: 2 },
    RAM128X1D: { kind: "lutram", lutSites: 4 },
    RAM32X1S: { kind: "lutram", lutSites: 1 },
    RAM64X1S: { kind: "lutram", lutSites: 1 },
    RAM128X1S: { kind: "lutram", lutSites: 2 },
    RAM256X1S: { kind: "lutram", lutSites: 4 },
    SRL16E: { kind: "lutram", lutSites: 1 },
    SRLC32E: { kind: "lutram", lutSites: 1 },
    BUFG: IO,
    BUFGCTRL: IO,
    GND: OTHER,
    VCC: OTHER,
  },
  patterns: [
    [/^LUT[1-6]$/, LUT],
    [/^(FD[RSCP]E|LD[CP]E)(_1)?$/, FF],
    [/^(I|O)BUF\w*$/, IO],
    [/^IOBUF\w*$/, IO],
  ],
};

const GOWIN: Table = {
  exact: {
    ALU: { kind: "carry", lutSites: 1 },
    MUX2: MUX,
    MUX2_LUT5: MUX,
    MUX2_LUT6: MUX,
    MUX2_LUT7: MUX,
    MUX2_LUT8: MUX,
    // Shadow SRAM: a 16×4 RAM in the four LUTs of two CLSs.
    RAM16S1: { kind: "lutram", lutSites: 1 },
    RAM16S2: { kind: "lutram", lutSites: 2 },
    RAM16S4: { kind: "lutram", lutSites: 4 },
    RAM16SDP1: { kind: "lutram", lutSites: 1 },
    RAM16SDP2: { kind: "lutram", lutSites: 2 },
    RAM16SDP4: { kind: "lutram", lutSites: 4 },
    GND: OTHER,
    VCC: OTHER,
    GSR: OTHER,
    rPLL: OTHER,
    OSC: OTHER,
    OSCH: OTHER,
    OSCZ: OTHER,
    OSCF: OTHER,
    ODDR: IO,
    ODDRC: IO,
    TBUF: IO,
    TLVDS_OBUF: IO,
  },
  patterns: [
    [/^LUT[1-4]$/, LUT],
    [/^DFF[A-Z]*$/, FF],
    // Block SRAM (18 Kbit BSRAM) in every mode: DP/SDP/SP, their 9-bit variants, with or without
    // the B (bypass/registered) suffix, and the ROMs.
    [/^(DP|SDP|SP)(X9)?B?$/, BRAM],
    [/^pROM(X9)?$/, BRAM],
    [/^(MULT9X9|MULT18X18|MULT36X36|MULTALU18X18|MULTALU36X18|MULTADDALU18X18|ALU54D)$/, DSP],
    [/^(I|O|IO)BUF$/, IO],
  ],
};

const TABLES: Record<Target, Table> = { ice40: ICE40, ecp5: ECP5, xilinx: XILINX, gowin: GOWIN };

/** The resource a cell type of `target` uses. Yosys internal cells ($…) are "unmapped"; cell types the table does not know are "other". */
export function classifyCell(target: Target, type: string): CellClass {
  if (type.startsWith("$")) return { kind: "unmapped" };
  const t = TABLES[target];
  const hit = t.exact[type];
  if (hit) return hit;
  for (const [re, cls] of t.patterns) if (re.test(type)) return cls;
  return OTHER;
}

/** Resource counts: LUT sites, flip-flops, block RAM units, DSP blocks, carry cells, LUT-RAM cells, unmapped ($) cells. */
export interface Resources {
  lut: number;
  ff: number;
  bram: number;
  dsp: number;
  carry: number;
  lutram: number;
  unmapped: number;
}

export function zeroResources(): Resources {
  return { lut: 0, ff: 0, bram: 0, dsp: 0, carry: 0, lutram: 0, unmapped: 0 };
}

export function addResources(a: Resources, b: Resources, times = 1): Resources {
  return {
    lut: a.lut + b.lut * times,
    ff: a.ff + b.ff * times,
    bram: a.bram + b.bram * times,
    dsp: a.dsp + b.dsp * times,
    carry: a.carry + b.carry * times,
    lutram: a.lutram + b.lutram * times,
    unmapped: a.unmapped + b.unmapped * times,
  };
}

/** Resources of a cell list (cell type → count). Cells that are other modules must be left out by the caller. */
export function resourcesOf(target: Target, cells: Record<string, number>): Resources {
  const r = zeroResources();
  for (const [type, n] of Object.entries(cells)) {
    const c = classifyCell(target, type);
    const luts = c.lutSites ?? (c.kind === "lut" ? 1 : 0);
    r.lut += luts * n;
    switch (c.kind) {
      case "ff":
        r.ff += n;
        break;
      case "bram":
        r.bram += (c.bramUnits ?? 1) * n;
        break;
      case "dsp":
        r.dsp += n;
        break;
      case "carry":
        r.carry += n;
        break;
      case "lutram":
        r.lutram += n;
        break;
      case "unmapped":
        r.unmapped += n;
        break;
      default:
        break;
    }
  }
  return r;
}
