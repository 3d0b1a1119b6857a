// The generated RTL of a spec: one file per module under rtl/, plus <name>.f, the file list in
// dependency order (a module's file comes after the files of the modules it instantiates).
// Pure: the same spec gives byte-identical files.
import { UserError } from "../errors.js";
import type { LoadedSpec } from "../spec/load.js";
import { bankModule } from "./bank.js";
import { chipModules, chipParams } from "./chip.js";
import { dpramBeModule, dpramModule } from "./dpram.js";
import { interconnectModules, interconnectParams } from "./interconnect.js";
import { macArrayModule } from "./mac_array.js";
import type { RtlModule } from "./module.js";
import { bankParams } from "./params.js";

export type { RtlModule } from "./module.js";
export { bankParams, type BankParams } from "./params.js";
export { chipParams, type ChipParams } from "./chip.js";

/** Every module of the chip, in dependency order. */
export function rtlModules(loaded: LoadedSpec): RtlModule[] {
  if (loaded.rtlProblems.length > 0) {
    throw new UserError(
      `spec ${loaded.file} is outside what the RTL generator builds:\n  ${loaded.rtlProblems.map((p) => `${p.path}: ${p.message}`).join("\n  ")}`,
    );
  }
  const bank = bankParams(loaded);
  const bus = interconnectParams(loaded);
  return dependencyOrder([
    dpramModule(bank.name, bank.read_bits, bank.bmem_depth),
    dpramBeModule(bank.name, bank.read_bits, bank.kv_bits, bank.bmem_depth),
    macArrayModule(bank),
    bankModule(bank),
    ...interconnectModules(bus),
    ...chipModules(chipParams(loaded), loaded),
  ]);
}

/** Order modules so that each comes after the modules it uses; ties keep the given order. */
export function dependencyOrder(modules: RtlModule[]): RtlModule[] {
  const byName = new Map(modules.map((m) => [m.module, m]));
  const out: RtlModule[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (m: RtlModule, path: string[]): void => {
    const s = state.get(m.module);
    if (s === "done") return;
    if (s === "visiting") throw new Error(`rtl: module cycle ${[...path, m.module].join(" -> ")}`);
    state.set(m.module, "visiting");
    for (const u of m.uses) {
      const dep = byName.get(u);
      if (!dep) throw new Error(`rtl: ${m.module} uses ${u}, which is not generated`);
      visit(dep, [...path, m.module]);
    }
    state.set(m.module, "done");
    out.push(m);
  };
  for (const m of modules) visit(m, []);
  return out;
}

/** `rtl/<module>.v` for every module, plus `<name>.f` listing them in dependency order. */
export function rtlFiles(loaded: LoadedSpec): Map<string, string> {
  const modules = rtlModules(loaded);
  const files = new Map<string, string>(modules.map((m) => [m.file, m.text]));
  files.set(`${loaded.spec.name}.f`, modules.map((m) => `${m.file}\n`).join(""));
  return files;
}
