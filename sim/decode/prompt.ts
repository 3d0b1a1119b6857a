// What `gen-rtl run` decodes: the prompt's length (the spec's workload.prompt_len by default,
// capped), the prompt's tokens (seeded), and the size checks that make a bad request a user error
// (exit 2) before anything runs.
import { UserError } from "../../generator/errors.js";
import type { LoadedSpec } from "../../generator/spec/load.js";
import { prng } from "../prng.js";

/**
 * The default prompt is at most this many tokens: prefill runs as one full decode step per prompt
 * token (simulated instruction by instruction), and 8 positions already exercise the K blocks of
 * several bus words and both V^T fields of a word on every preset the RTL runs.
 */
export const DEFAULT_PROMPT_CAP = 8;

/** Beyond this many GEMV weights a token the golden model and the simulation are too slow to be useful. */
export const MAX_RUN_WEIGHTS = 1 << 22;

export interface PromptChoice {
  length: number;
  /** Why the length is not the one asked for (or the spec's), for the user; null when it is. */
  note: string | null;
}

/** Positions a decode of `tokens` tokens after a prompt of `prompt` tokens uses: the last generated token is not fed back. */
export function positionsUsed(prompt: number, tokens: number): number {
  return prompt + tokens - 1;
}

/**
 * The prompt's length: `requested` when given (an error when prompt + tokens do not fit the
 * context), else workload.prompt_len capped at DEFAULT_PROMPT_CAP and at what the context leaves.
 */
export function choosePromptLength(loaded: LoadedSpec, tokens: number, requested?: number): PromptChoice {
  const L = loaded.spec.workload.context_len;
  if (tokens > L) throw new UserError(`--tokens ${tokens}: the context holds workload.context_len = ${L} positions`);
  if (requested !== undefined) {
    const used = positionsUsed(requested, tokens);
    if (used > L) {
      throw new UserError(
        `--prompt-len ${requested} with --tokens ${tokens} needs ${used} positions (the prompt's, then each generated token but the last); ` +
          `the context holds workload.context_len = ${L}`,
      );
    }
    return { length: requested, note: null };
  }
  const spec = loaded.spec.workload.prompt_len;
  const fits = L - tokens + 1;
  const length = Math.max(1, Math.min(spec, DEFAULT_PROMPT_CAP, fits));
  if (length === spec) return { length, note: null };
  const why =
    length === fits && fits < Math.min(spec, DEFAULT_PROMPT_CAP)
      ? `so that the ${tokens} tokens fit the context of ${L}`
      : `every prompt token is simulated (a decode step, or its share of a prefill tile); the default is capped at ${DEFAULT_PROMPT_CAP}`;
  return { length, note: `prompt of ${length} tokens, not workload.prompt_len = ${spec}: ${why} (--prompt-len sets it)` };
}

/** The prompt's tokens: uniform over the vocabulary, from prng(seed).fork("prompt"). */
export function drawPrompt(seed: number, vocab: number, length: number): number[] {
  const r = prng(seed).fork("prompt");
  return Array.from({ length }, () => r.int(0, vocab - 1));
}

/** A model too large to run through the golden model and the simulation is a user error. */
export function checkRunSize(loaded: LoadedSpec): void {
  const n = loaded.derived.weights_in_gemv;
  if (n > MAX_RUN_WEIGHTS) {
    throw new UserError(
      `${loaded.spec.name}: ${n.toLocaleString("en-US")} GEMV weights a token; gen-rtl run simulates models of up to ` +
        `${MAX_RUN_WEIGHTS.toLocaleString("en-US")} (e.g. specs/tiny.json, specs/fpga-ice40.json); gen-rtl model gives this chip's decode speed`,
    );
  }
}
