// Every RTL test `gen-rtl sim` knows, in the order it runs them.
import type { SimTest } from "../suite.js";
import { bankSimTests } from "./bank.js";
import { chipTests } from "./chip.js";
import { ctrlSimTests } from "./ctrl_sim.js";
import { interconnectTests } from "./interconnect.js";

export const ALL_SIM_TESTS: readonly SimTest[] = [...bankSimTests(), ...interconnectTests, ...ctrlSimTests, ...chipTests];
