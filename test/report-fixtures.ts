// Result files as `gen-rtl sim` and `gen-rtl synth` write them, by hand: the inputs of the report
// tests (report.test.ts, report-browser.test.ts).

/** A `gen-rtl sim` result as the sim command writes it (SuiteResult + test_pattern), by hand. */
export const SIM_FIXTURE = {
  spec: "tiny",
  seed: 7,
  tests: [
    { name: "bank/gemv_random", passed: true, cycles: { measured: 2054, model: 2054 }, sim_cycles_per_s: 1.5e6 },
    { name: "chip/gemv.whole", passed: true, cycles: { measured: 2216, model: 2216 } },
    { name: "ctrl/softmax", passed: false, cycles: { measured: 130, model: 120 }, detail: "cycles differ" },
    { name: "bank/backpressure", passed: true },
  ],
  passed: 3,
  failed: 1,
  test_pattern: null,
};

/** A `gen-rtl synth` result in the shape the synth command writes. */
export const SYNTH_FIXTURE = {
  target: "ice40",
  device: "up5k",
  capacity: { lut: 5280, ff: 5280, bram: 30, dsp: 8 },
  resources: { lut: 4321, ff: 1234, bram: 12, dsp: 4 },
  per_module: { tiny_chip: { instances: 1, lut: 321, ff: 34, bram: 4, dsp: 0, carry: 10 }, tiny_bank: { instances: 8, lut: 1000, ff: 300, bram: 2, dsp: 1 } },
  fmax_mhz: 31.5,
  fits: true,
};
