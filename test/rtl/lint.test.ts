// Every generated Verilog file of every preset passes `verilator --lint-only -Wall` with each
// module as the top (its default parameters are the spec's), with no blanket -Wno flag.
import { describe, expect, it } from "vitest";
import { rtlFiles } from "../../generator/rtl/index.js";
import { loadSpec } from "../../generator/spec/load.js";
import { lintVerilog } from "../../sim/harness/verilator.js";

describe.each(["specs/tiny.json", "specs/fpga-ice40.json", "specs/fpga-up5k.json", "specs/aim-llama7b.json"])("lint %s", (file) => {
  const files = rtlFiles(loadSpec(file));
  const verilog: Record<string, string> = {};
  for (const [path, text] of files) if (path.endsWith(".v")) verilog[path.slice("rtl/".length)] = text;
  const modules = Object.keys(verilog).map((f) => f.replace(/\.v$/, ""));

  it("lists every module in the file list, in an order where each comes after what it uses", () => {
    const list = [...files].find(([p]) => p.endsWith(".f"))![1].trim().split("\n");
    expect(list.map((p) => p.replace(/^rtl\//, "").replace(/\.v$/, "")).sort()).toEqual([...modules].sort());
  });

  it.each(modules)("%s is -Wall clean", async (top) => {
    expect(await lintVerilog(verilog, top)).toEqual([]);
  }, 120_000);
});
