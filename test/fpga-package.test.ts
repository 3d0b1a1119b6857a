// The FPGA hand-off package (generator/fpga/): what `gen-rtl <spec>` writes under fpga/, beside
// <name>_board.f and <name>.core. The checks parse the generated files (Tcl, qsf, XDC, SDC, Yosys
// scripts, the FuseSoC core, the pcf) and hold them to the generated Verilog and to the spec file
// read on its own; the Yosys scripts run in Debian's yosys.
import { execa } from "execa";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { UserError } from "../generator/errors.js";
import { boardFiles, ice40Params, ice40Pcf } from "../generator/fpga/board.js";
import { flow } from "../generator/fpga/flow.js";
import { generateTree } from "../generator/output/generate.js";
import { rtlFiles } from "../generator/rtl/index.js";
import { loadSpec, parseSpec } from "../generator/spec/load.js";
import type { Spec } from "../generator/spec/schema.js";

const SPECS = ["specs/fpga-ice40.json", "specs/tiny.json"] as const;

/** The iCEBreaker's pins, from its reference pcf (icebreaker-verilog-examples/icebreaker/icebreaker.pcf). */
const ICEBREAKER = { CLK: 35, RX: 6, TX: 9, BTN_N: 10, LEDR_N: 11, LEDG_N: 37 };

const haveYosys = await execa("yosys", ["-V"]).then(
  () => true,
  () => false,
);

function rawSpec(file: string): Spec {
  return JSON.parse(readFileSync(file, "utf8")) as Spec;
}

/** Every `module NAME` of the tree's Verilog files, with the file it is in. */
function modulesIn(files: ReadonlyMap<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [path, text] of files) {
    if (!path.endsWith(".v")) continue;
    for (const m of text.matchAll(/^\s*module\s+([A-Za-z_][A-Za-z0-9_]*)/gm)) out.set(m[1]!, path);
  }
  return out;
}

/** The ports of a module, bit by bit for vectors of up to 8 bits (`led[0]`), from its Verilog header. */
function portsOf(text: string, module: string): { name: string; dir: string }[] {
  const start = text.search(new RegExp(`module\\s+${module}\\b`));
  const header = text.slice(start, text.indexOf(");", start));
  const ports: { name: string; dir: string }[] = [];
  for (const m of header.matchAll(/\b(input|output)\s+(?:wire|reg)?\s*(?:\[(\d+):0\])?\s*([A-Za-z_][A-Za-z0-9_]*)/g)) {
    const width = m[2] === undefined ? 1 : Number(m[2]) + 1;
    if (width === 1) ports.push({ name: m[3]!, dir: m[1]! });
    else for (let i = 0; i < width; i++) ports.push({ name: `${m[3]}[${i}]`, dir: m[1]! });
  }
  return ports;
}

function lines(text: string): string[] {
  return text.split("\n");
}

/** The file list of a .f file. */
function fileList(text: string): string[] {
  return lines(text).filter((l) => l.trim() !== "");
}

// ---- a reader for the YAML the core uses: maps, lists, inline lists and inline maps ----------
type Yaml = string | Yaml[] | { [key: string]: Yaml };

function yamlScalar(v: string): Yaml {
  const t = v.trim();
  if (t.startsWith("[") && t.endsWith("]")) return t.slice(1, -1).split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (t.startsWith("{") && t.endsWith("}")) {
    const o: { [key: string]: Yaml } = {};
    for (const kv of t.slice(1, -1).split(",")) {
      const i = kv.indexOf(":");
      if (i < 0) throw new Error(`yaml: bad inline map entry ${kv}`);
      o[kv.slice(0, i).trim()] = kv.slice(i + 1).trim();
    }
    return o;
  }
  return t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

function parseYaml(text: string): { [key: string]: Yaml } {
  const rows = lines(text)
    .filter((l) => l.trim() !== "" && !l.trim().startsWith("#"))
    .map((l) => ({ indent: l.length - l.trimStart().length, text: l.trim() }));
  let at = 0;
  const block = (indent: number): Yaml => {
    if (rows[at]!.text.startsWith("- ")) {
      const list: Yaml[] = [];
      while (at < rows.length && rows[at]!.indent === indent && rows[at]!.text.startsWith("- ")) {
        const item = rows[at++]!.text.slice(2);
        const m = /^([^:{}[\]]+):\s+(\{.*\})$/.exec(item);
        list.push(m ? { [m[1]!.trim()]: yamlScalar(m[2]!) } : yamlScalar(item));
      }
      return list;
    }
    const map: { [key: string]: Yaml } = {};
    while (at < rows.length && rows[at]!.indent === indent) {
      const row = rows[at++]!;
      const i = row.text.indexOf(":");
      if (i < 0) throw new Error(`yaml: no key in "${row.text}"`);
      const key = row.text.slice(0, i).trim();
      const rest = row.text.slice(i + 1).trim();
      if (rest !== "") map[key] = yamlScalar(rest);
      else if (at < rows.length && rows[at]!.indent > indent) map[key] = block(rows[at]!.indent);
      else map[key] = "";
    }
    if (at < rows.length && rows[at]!.indent > indent) throw new Error(`yaml: unexpected indentation at "${rows[at]!.text}"`);
    return map;
  };
  const out = block(0);
  if (at !== rows.length || typeof out !== "object" || Array.isArray(out)) throw new Error("yaml: not a map");
  return out;
}

function asMap(v: Yaml | undefined, what: string): { [key: string]: Yaml } {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error(`${what} is not a map`);
  return v;
}

function asList(v: Yaml | undefined, what: string): Yaml[] {
  if (!Array.isArray(v)) throw new Error(`${what} is not a list`);
  return v;
}

// ---- the package of each spec --------------------------------------------------------------------

describe.each(SPECS)("FPGA package of %s", (file) => {
  const raw = rawSpec(file);
  const loaded = loadSpec(file, { rtl: true });
  const name = raw.name;
  const tree = generateTree(loaded).files;
  const modules = modulesIn(tree);
  const get = (path: string): string => {
    const t = tree.get(path);
    if (t === undefined) throw new Error(`${path} is not in the tree`);
    return t;
  };
  const list = fileList(get(`${name}_board.f`));
  const top = `${name}_board`;

  it("lists the chip's files (in <name>.f's order), then the board's, each in the tree, each module defined once", () => {
    const chip = fileList(get(`${name}.f`));
    expect(list.slice(0, chip.length)).toEqual(chip);
    expect(list.slice(chip.length)).toEqual(
      ["uart_rx", "uart_tx", "byte_fifo", "host_bridge", "board"].map((b) => `fpga/board/${name}_${b}.v`),
    );
    for (const path of list) expect(tree.has(path), path).toBe(true);
    expect(new Set(list).size).toBe(list.length);
    // The board top is the last file, and every module it and the chip use is in an earlier file.
    expect(modules.get(top)).toBe(list[list.length - 1]);
    for (const [i, path] of list.entries()) {
      // Instances: `<name>_<block> #(` or `<name>_<block> u_x (` at the start of a line.
      for (const m of get(path).matchAll(new RegExp(`^\\s+(${name}_[a-z0-9_]+)\\s+(?:#|[a-z_])`, "gm"))) {
        const defined = modules.get(m[1]!);
        expect(defined, `${m[1]} used in ${path}`).toBeDefined();
        expect(list.indexOf(defined!), `${m[1]} used in ${path}`).toBeLessThan(i);
      }
    }
  });

  it("Vivado: the Tcl reads every file of the list in order and synthesises a top that exists", () => {
    const tcl = get(`fpga/vivado/${name}.tcl`);
    const read = [...tcl.matchAll(/^read_verilog \[file join \$root (\S+)\]$/gm)].map((m) => m[1]);
    expect(read).toEqual(list);
    const topSet = /^set top\s+(\S+)$/m.exec(tcl)?.[1];
    expect(topSet).toBe(top);
    expect(modules.has(topSet!)).toBe(true);
    expect(tcl).toMatch(/^synth_design -top \$top -part \$part$/m);
    for (const step of ["opt_design", "place_design", "route_design"]) expect(tcl).toMatch(new RegExp(`^${step}$`, "m"));
    expect(tcl).toMatch(/^report_utilization\s+-file /m);
    expect(tcl).toMatch(/^report_timing_summary -file /m);
    expect(tcl).toContain(`read_xdc [file join $here ${name}.xdc]`);
  });

  it("Quartus: the qsf names every file of the list and a top that exists", () => {
    const qsf = get(`fpga/quartus/${name}.qsf`);
    const files = [...qsf.matchAll(/^set_global_assignment -name VERILOG_FILE \.\.\/\.\.\/(\S+)$/gm)].map((m) => m[1]);
    expect(files).toEqual(list);
    const entity = /^set_global_assignment -name TOP_LEVEL_ENTITY (\S+)$/m.exec(qsf)?.[1];
    expect(entity).toBe(top);
    expect(modules.has(entity!)).toBe(true);
    expect(qsf).toMatch(/^set_global_assignment -name DEVICE \S+$/m);
    expect(qsf).toContain(`set_global_assignment -name SDC_FILE ${name}.sdc`);
  });

  it("XDC and SDC: the clock period is 1000 / clock_mhz of the spec file", () => {
    const expected = 1000 / raw.clock_mhz;
    const xdc = /^create_clock -name clk -period (\S+) \[get_ports clk\]$/m.exec(get(`fpga/vivado/${name}.xdc`));
    const sdc = /^create_clock -name clk -period (\S+) \[get_ports \{clk\}\]$/m.exec(get(`fpga/quartus/${name}.sdc`));
    expect(Math.abs(Number(xdc?.[1]) - expected)).toBeLessThan(5e-4);
    expect(Math.abs(Number(sdc?.[1]) - expected)).toBeLessThan(5e-4);
  });

  it("XDC: a commented PACKAGE_PIN / IOSTANDARD line for each bit of each port of the top", () => {
    const xdc = get(`fpga/vivado/${name}.xdc`);
    const placeholders = [...xdc.matchAll(/^# set_property -dict \{ PACKAGE_PIN XX IOSTANDARD \S+ \} \[get_ports \{ (\S+) \}\]/gm)].map((m) => m[1]);
    const ports = portsOf(get(modules.get(top)!), top).map((p) => p.name);
    expect(ports).toEqual(["clk", "rst_n", "uart_rx", "uart_tx", "led[0]", "led[1]"]);
    expect(placeholders).toEqual(ports);
  });

  it("Yosys: each script reads every file of the list with the right -top and synth command", () => {
    const expectCmd = { ice40: "synth_ice40 -dsp", ecp5: "synth_ecp5", xilinx: "synth_xilinx", gowin: "synth_gowin" };
    const ice40 = flow(loaded).ice40;
    for (const [target, cmd] of Object.entries(expectCmd)) {
      const ys = get(`fpga/yosys/${name}_${target}.ys`);
      const read = [...ys.matchAll(/^read_verilog (\S+)$/gm)].map((m) => m[1]);
      const wantTop = target === "ice40" && ice40 ? `${name}_ice40_top` : top;
      expect(read).toEqual(target === "ice40" && ice40 ? [...list, `fpga/board/${name}_ice40_top.v`] : list);
      expect(ys).toMatch(new RegExp(`^${cmd} -top ${wantTop}$`, "m"));
      expect(modules.has(wantTop)).toBe(true);
      expect(ys).toMatch(new RegExp(`^write_json fpga/yosys/${name}_${target}\\.json$`, "m"));
    }
  });

  it("FuseSoC: a CAPI2 core listing every source as verilogSource, the top and a synth target per tool", () => {
    const text = get(`${name}.core`);
    expect(lines(text)[0]).toBe("CAPI=2:");
    const core = parseYaml(lines(text).slice(1).join("\n"));
    expect(String(core["name"]).split(":")).toEqual(["pim-gen", "pim", name, "0.1.0"]);
    const filesets = asMap(core["filesets"], "filesets");
    const rtl = asMap(filesets["rtl"], "filesets.rtl");
    expect(rtl["file_type"]).toBe("verilogSource");
    expect(asList(rtl["files"], "rtl.files")).toEqual(list);
    const targets = asMap(core["targets"], "targets");
    const want = ["default", "lint", "synth_ecp5", "synth_xilinx", "synth_gowin", "synth_vivado", "synth_quartus"];
    if (flow(loaded).ice40) want.push("synth_ice40");
    expect(Object.keys(targets).sort()).toEqual(want.sort());
    for (const [t, v] of Object.entries(targets)) {
      const target = asMap(v, t);
      expect(modules.has(String(target["toplevel"])), `${t}.toplevel`).toBe(true);
      for (const fs of asList(target["filesets"], `${t}.filesets`)) {
        const set = asMap(filesets[String(fs)], `fileset ${String(fs)}`);
        for (const f of asList(set["files"], `${String(fs)}.files`)) {
          const path = typeof f === "string" ? f : Object.keys(asMap(f, "file"))[0]!;
          expect(tree.has(path), `${t}: ${path}`).toBe(true);
        }
      }
      if (t !== "default") expect(typeof target["default_tool"]).toBe("string");
    }
    expect(asMap(targets["default"], "default")["toplevel"]).toBe(top);
  });

  it("is the same byte for byte when generated again", () => {
    const again = generateTree(loadSpec(file, { rtl: true })).files;
    const fpga = [...tree.keys()].filter((p) => p.startsWith("fpga/") || p.endsWith(".core") || p.endsWith("_board.f") || p.includes("board_tb"));
    expect(fpga.length).toBeGreaterThan(15);
    for (const p of fpga) expect(again.get(p), p).toBe(tree.get(p));
  });

  it.skipIf(!haveYosys)("Yosys: every script's sources elaborate in Debian's yosys with the script's top", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pim-gen-fpga-"));
    try {
      for (const [path, text] of tree) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      const targets = file === "specs/fpga-ice40.json" ? ["ice40", "ecp5", "xilinx", "gowin"] : ["ice40"];
      for (const target of targets) {
        const ys = get(`fpga/yosys/${name}_${target}.ys`);
        const wantTop = /-top (\S+)$/m.exec(ys)![1]!;
        // The script's read section as written, then the hierarchy from its top (iCE40 primitives from Yosys's library).
        const lib = target === "ice40" ? "read_verilog -lib +/ice40/cells_sim.v; " : "";
        const r = await execa("yosys", ["-q", "-p", `script fpga/yosys/${name}_${target}.ys read:synth; ${lib}hierarchy -check -top ${wantTop}; stat`], { cwd: dir, reject: false });
        expect(r.exitCode, `${target}: ${r.stderr}${r.stdout}`.slice(0, 2000)).toBe(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("the iCE40 wrapper and its pins", () => {
  const withClock = (mhz: number) => {
    const s = rawSpec("specs/fpga-ice40.json");
    s.clock_mhz = mhz;
    return parseSpec(s, `<fpga_ice40 at ${mhz} MHz>`);
  };

  it("fpga-ice40 (24 MHz): SB_HFOSC divided by 2, no clock pin, the iCEBreaker's UART, button and LED pins", () => {
    const loaded = loadSpec("specs/fpga-ice40.json", { rtl: true });
    const b = boardFiles(loaded);
    const wrapper = b.files.get(`fpga/board/${b.ice40Top}.v`)!;
    expect(wrapper).toMatch(/SB_HFOSC #\(\.CLKHF_DIV\("0b01"\)\)/);
    const ports = portsOf(wrapper, b.ice40Top).map((p) => p.name);
    const pcf = new Map([...ice40Pcf(loaded).matchAll(/^set_io (\S+) (\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
    expect([...pcf.keys()].sort()).toEqual([...ports].sort());
    expect(Object.fromEntries(pcf)).toEqual({ btn_n: ICEBREAKER.BTN_N, uart_rx: ICEBREAKER.RX, uart_tx: ICEBREAKER.TX, led_r_n: ICEBREAKER.LEDR_N, led_g_n: ICEBREAKER.LEDG_N });
    // The wrapper instantiates the board top with the spec's clock in Hz.
    expect(wrapper).toMatch(new RegExp(`${b.top} #\\(\\.CLK_HZ\\(24000000\\), \\.BAUD\\(115200\\)\\)`));
  });

  it("the contract with gen-rtl synth: the board's files, the full list in order, the wrapper last", () => {
    const loaded = loadSpec("specs/fpga-ice40.json", { rtl: true });
    const b = boardFiles(loaded);
    const chip = rtlFiles(loaded);
    expect(b.top).toBe("fpga_ice40_board");
    expect(b.ice40Top).toBe("fpga_ice40_ice40_top");
    expect(b.fileList.slice(0, -1)).toEqual(fileList(generateTree(loaded).files.get("fpga_ice40_board.f")!));
    expect(b.fileList.at(-1)).toBe("fpga/board/fpga_ice40_ice40_top.v");
    for (const p of b.fileList) expect(b.files.has(p) || chip.has(p), p).toBe(true);
    for (const p of b.files.keys()) expect(p.startsWith("fpga/board/") && !chip.has(p)).toBe(true);
  });

  it.each([
    [48, '"0b00"'],
    [6, '"0b11"'],
  ])("%i MHz: SB_HFOSC with CLKHF_DIV %s", (mhz, div) => {
    const b = boardFiles(withClock(mhz));
    expect(b.files.get(`fpga/board/${b.ice40Top}.v`)).toContain(`SB_HFOSC #(.CLKHF_DIV(${div}))`);
  });

  it("12 MHz: the board's oscillator on pin 35, no SB_HFOSC", () => {
    const loaded = withClock(12);
    const b = boardFiles(loaded);
    const wrapper = b.files.get(`fpga/board/${b.ice40Top}.v`)!;
    expect(wrapper).not.toContain("SB_HFOSC");
    expect(portsOf(wrapper, b.ice40Top).map((p) => p.name)).toContain("clk_12m");
    expect(ice40Pcf(loaded)).toMatch(new RegExp(`^set_io clk_12m ${ICEBREAKER.CLK}\\b`, "m"));
  });

  it("a clock the UP5K cannot make: a UserError naming clock_mhz for the wrapper; the package leaves it out", () => {
    const loaded = loadSpec("specs/tiny.json", { rtl: true });
    expect(() => ice40Params(loaded)).toThrow(UserError);
    expect(() => boardFiles(loaded)).toThrow(/clock_mhz: 100 MHz .* 48, 24, 12, 6/);
    const tree = generateTree(loaded).files;
    expect([...tree.keys()].filter((p) => p.includes("ice40"))).toEqual(["fpga/yosys/tiny_ice40.ys"]);
    expect(tree.get("fpga/yosys/tiny_ice40.ys")).toMatch(/^synth_ice40 -dsp -top tiny_board$/m);
    expect(tree.get("fpga/README.md")).toContain("not one the UP5K makes");
  });

  it("refuses a spec name that is not an identifier before it reaches Tcl or Verilog", () => {
    const loaded = loadSpec("specs/fpga-ice40.json", { rtl: true });
    const bad = { ...loaded, spec: { ...loaded.spec, name: "x; exec rm" } };
    expect(() => flow(bad)).toThrow(/not an identifier/);
    expect(() => boardFiles(bad)).toThrow(/not an identifier/);
  });
});
