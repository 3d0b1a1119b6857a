// `gen-rtl spec.json`: everything generated for a spec, as a file tree: the normalised spec, the
// analytical model (model.json, model.txt), the Verilog (rtl/, <name>.f) and the Verilator
// testbenches (tb/), and the FPGA package (fpga/, <name>_board.f, <name>.core: generator/fpga/).
import type { LoadedSpec } from "../spec/load.js";
import { withChipPrediction } from "../compiler/predict.js";
import { runModel, type ModelResult } from "../model/index.js";
import { ATTENTION_MAPPINGS } from "../spec/schema.js";
import { modelJson } from "../report/model-json.js";
import { modelText } from "../report/model-text.js";
import { rtlFiles } from "../rtl/index.js";
import { tbFiles } from "../tb/index.js";
import { fpgaFiles } from "../fpga/package.js";
import type { FileTree } from "./write-tree.js";

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + "\n";
}

export interface Generated {
  files: FileTree;
  model: ModelResult;
}

export function generateTree(loaded: LoadedSpec): Generated {
  const model = withChipPrediction(runModel(loaded, { mappings: ATTENTION_MAPPINGS }), loaded);
  const { $schema: _, ...spec } = loaded.spec;
  const files = new Map([
    ["spec.json", json(spec)],
    ["model.json", json(modelJson(model))],
    ["model.txt", modelText(model)],
    ...rtlFiles(loaded),
    ...tbFiles(loaded).map((t) => [t.file, t.text] as const),
    ...fpgaFiles(loaded),
  ]);
  return { files, model };
}
