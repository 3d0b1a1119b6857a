/** One generated Verilog module: one file. */
export interface RtlModule {
  /** Module name, `<spec.name>_<block>`. */
  module: string;
  /** Path in the output tree: `rtl/<module>.v`. */
  file: string;
  text: string;
  /** Modules it instantiates (for the file list's dependency order). */
  uses: string[];
}

export function rtlModule(module: string, text: string, uses: string[] = []): RtlModule {
  return { module, file: `rtl/${module}.v`, text, uses };
}
