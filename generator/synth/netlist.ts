// What gen-rtl synth keeps of a Yosys netlist (`json -o netlist.json` after synthesis, hierarchy
// kept): per module its cell types and counts, its parameters and its base name. The netlist of a
// chip is megabytes; this summary is a few kilobytes, and it is what the cache stores.
//
// Why not `stat -json`: in Yosys 0.23 its output is not valid JSON when the design has a top
// module (the hierarchy is printed as text inside the JSON object) nor when it has none (a
// trailing comma), so the cells are counted here from the netlist instead.

export interface ModuleSummary {
  /** The module's name as Yosys gives it, e.g. "$paramod$1dd1…\\fpga_ice40_dpram_be". */
  name: string;
  /** The Verilog module it was elaborated from, e.g. "fpga_ice40_dpram_be". */
  base: string;
  /** Parameter values (numbers when they are plain binary constants). */
  params: Record<string, number | string>;
  /** Cell type → count; a type that is another module of the summary is an instance of it. */
  cells: Record<string, number>;
}

export interface NetlistSummary {
  top: string;
  modules: Record<string, ModuleSummary>;
}

/** "$paramod$<hash>\\x_dpram" and "$paramod\\x_dpram\\WIDTH=…" → "x_dpram"; a plain name stays. */
export function baseName(name: string): string {
  if (!name.startsWith("$paramod")) return name.replace(/^\\/, "");
  const parts = name.split("\\");
  return parts[1] ?? name;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function paramValue(v: unknown): number | string {
  if (typeof v === "number") return v;
  if (typeof v === "string" && /^[01]{1,53}$/.test(v)) return parseInt(v, 2);
  return String(v);
}

/** Summarise a Yosys JSON netlist (the text of `json -o` / `write_json`). */
export function summariseNetlist(jsonText: string, top: string): NetlistSummary {
  const parsed: unknown = JSON.parse(jsonText);
  if (!isRecord(parsed) || !isRecord(parsed["modules"])) throw new Error("yosys netlist: no \"modules\" object");
  const modules: Record<string, ModuleSummary> = {};
  for (const [name, m] of Object.entries(parsed["modules"])) {
    if (!isRecord(m)) continue;
    const attrs = isRecord(m["attributes"]) ? m["attributes"] : {};
    if (attrs["blackbox"] !== undefined) continue;
    const params: Record<string, number | string> = {};
    if (isRecord(m["parameter_default_values"])) {
      for (const [k, v] of Object.entries(m["parameter_default_values"])) params[k] = paramValue(v);
    }
    const cells: Record<string, number> = {};
    if (isRecord(m["cells"])) {
      for (const c of Object.values(m["cells"])) {
        if (!isRecord(c) || typeof c["type"] !== "string") continue;
        const type = c["type"];
        cells[type] = (cells[type] ?? 0) + 1;
      }
    }
    modules[name] = { name, base: baseName(name), params, cells };
  }
  if (!modules[top]) throw new Error(`yosys netlist: top module ${top} is missing (modules: ${Object.keys(modules).join(", ")})`);
  return { top, modules };
}
