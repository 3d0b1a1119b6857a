// Resources of a synthesised design, per module and in total, from its netlist summary.
//
// Per module means per Verilog module: every parameterisation of it (Yosys's $paramod variants)
// and every instance under the top, each instance counted with its own cells only (not its
// submodules'). So the per-module rows add up to the total exactly, and the total is the whole
// hierarchy under the top.
import { addResources, resourcesOf, zeroResources, type Resources } from "./cells.js";
import type { ModuleSummary, NetlistSummary } from "./netlist.js";
import type { Target } from "./targets.js";

export interface ModuleResources extends Resources {
  /** Instances under the top (1 for the top itself). */
  instances: number;
}

export interface DesignResources {
  total: Resources;
  /** Verilog module name → its instances' own resources, in hierarchy order (top first). */
  perModule: Record<string, ModuleResources>;
}

/** A module's own cells: its cell list without the instances of other modules of the design. */
export function ownCells(summary: NetlistSummary, m: ModuleSummary): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [type, n] of Object.entries(m.cells)) if (!summary.modules[type]) out[type] = n;
  return out;
}

/** How many times each module (Yosys name) is instantiated under the top, in depth-first order. */
export function instanceCounts(summary: NetlistSummary): Map<string, number> {
  // Parents before children: a topological order from the top, then counts flow down.
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string, path: string[]): void => {
    if (path.includes(name)) throw new Error(`yosys netlist: module cycle ${[...path, name].join(" -> ")}`);
    if (seen.has(name)) return;
    const m = summary.modules[name];
    if (!m) return;
    for (const child of Object.keys(m.cells)) if (summary.modules[child]) visit(child, [...path, name]);
    seen.add(name);
    order.push(name);
  };
  visit(summary.top, []);
  order.reverse(); // top first, every module before the modules it instantiates
  const counts = new Map<string, number>(order.map((n) => [n, 0]));
  counts.set(summary.top, 1);
  for (const name of order) {
    const m = summary.modules[name];
    const k = counts.get(name) ?? 0;
    if (!m || k === 0) continue;
    for (const [child, n] of Object.entries(m.cells)) {
      if (summary.modules[child]) counts.set(child, (counts.get(child) ?? 0) + k * n);
    }
  }
  return counts;
}

export function designResources(target: Target, summary: NetlistSummary): DesignResources {
  const counts = instanceCounts(summary);
  const perModule: Record<string, ModuleResources> = {};
  let total = zeroResources();
  for (const [name, k] of counts) {
    const m = summary.modules[name];
    if (!m || k === 0) continue;
    const own = resourcesOf(target, ownCells(summary, m));
    const row = perModule[m.base] ?? { ...zeroResources(), instances: 0 };
    perModule[m.base] = { ...addResources(row, own, k), instances: row.instances + k };
    total = addResources(total, own, k);
  }
  return { total, perModule };
}
