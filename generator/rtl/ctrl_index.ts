// The controller's vector ALUs: every module, in dependency order, and their files.
// Pure: the same spec gives byte-identical text.
import type { LoadedSpec } from "../spec/load.js";
import { ctrlDivModule } from "./ctrl_div.js";
import { ctrlParams, type CtrlParams } from "./ctrl_params.js";
import { ctrlValuModule, valuUnitModules, valuUnits } from "./ctrl_valu.js";
import type { RtlModule } from "./module.js";

export { ctrlParams, type CtrlParams } from "./ctrl_params.js";

/** The controller ALU modules of a parameter set (the units of its ops); each module after the modules it instantiates, the valu last. */
export function controllerRtlModulesFor(p: CtrlParams): RtlModule[] {
  const u = valuUnits(p);
  // The divider serves softmax and rmsnorm.
  return [...(u.softmax || u.rmsnorm ? [ctrlDivModule(p)] : []), ...valuUnitModules(p), ctrlValuModule(p)];
}

export function controllerRtlModules(loaded: LoadedSpec): RtlModule[] {
  return controllerRtlModulesFor(ctrlParams(loaded));
}

/** `rtl/<module>.v` → text for every controller ALU module. */
export function controllerRtlFiles(loaded: LoadedSpec): Map<string, string> {
  return new Map(controllerRtlModules(loaded).map((m) => [m.file, m.text]));
}
