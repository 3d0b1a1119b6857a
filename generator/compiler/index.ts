// The LLaMA decode compiler: spec + weights → chip layout, load program, per-token step programs
// (see layout.ts for the mapping, step-program.ts for the step), and a driver on the golden chip.
export { programProblems } from "./check-program.js";
export { compileDecode, type CompileOptions, type CompiledDecode } from "./compile.js";
export { prefillProgram, tileLayout, type TileLayout } from "./prefill-program.js";
export { gatherStream, type StreamSlot } from "./gather-order.js";
export { kSlot, scoreRows, type AttentionGeometry, type AttentionPlan } from "./attention-layout.js";
export { planLayout, type CmemMap, type CramMap, type BramMap, type Layout } from "./layout.js";
export { vecWords } from "./sizes.js";
export { partWord, stackParts, type GemvName, type GemvPart, type GemvPlan, type MatrixName } from "./weight-rows.js";
export { gemvRow, gemvShift, weightMatrix } from "./images.js";
export { loadProgram } from "./load-program.js";
export { instructionsOf, readsOfPosition, tally, type InstrTag, type Part, type Program, type ReadBack, type Stream, type TaggedInstruction } from "./program.js";
export { hostArgmax, runDecodeOnChipModel, runProgram, type ChipDecodeRun, type ChipStep } from "./run-model.js";
export { stepProgram, type StepOptions } from "./step-program.js";
export { kvCacheImages, kvCacheProgram } from "./kv-image.js";
export { predictChipToken, withChipPrediction, type ChipPrediction, type ChipUnavailable } from "./predict.js";
