// LLaMA-style model presets, with the field names of Hugging Face config.json.
// Values are those of each model's published config.json.

export interface ModelDims {
  /** H: width of the residual stream. */
  hidden_size: number;
  /** DIM_MLP: width of the gate/up projections. */
  intermediate_size: number;
  /** NUM_LAYER. */
  num_hidden_layers: number;
  /** NUM_HEAD: query heads. */
  num_attention_heads: number;
  /** Key/value heads (GQA); equal to num_attention_heads for multi-head attention. */
  num_key_value_heads: number;
  /** V. */
  vocab_size: number;
}

/** LLaMA-7B, the seed's model; LLaMA-2-7B has the same dimensions. */
const LLAMA_7B = {
  hidden_size: 4096,
  intermediate_size: 11008,
  num_hidden_layers: 32,
  num_attention_heads: 32,
  num_key_value_heads: 32,
  vocab_size: 32000,
} as const;

export const MODEL_PRESETS = {
  "llama-7b": LLAMA_7B,
  "llama-2-7b": LLAMA_7B,
  "llama-2-13b": {
    hidden_size: 5120,
    intermediate_size: 13824,
    num_hidden_layers: 40,
    num_attention_heads: 40,
    num_key_value_heads: 40,
    vocab_size: 32000,
  },
  "llama-2-70b": {
    hidden_size: 8192,
    intermediate_size: 28672,
    num_hidden_layers: 80,
    num_attention_heads: 64,
    num_key_value_heads: 8,
    vocab_size: 32000,
  },
  "llama-3-8b": {
    hidden_size: 4096,
    intermediate_size: 14336,
    num_hidden_layers: 32,
    num_attention_heads: 32,
    num_key_value_heads: 8,
    vocab_size: 128256,
  },
  "mistral-7b": {
    hidden_size: 4096,
    intermediate_size: 14336,
    num_hidden_layers: 32,
    num_attention_heads: 32,
    num_key_value_heads: 8,
    vocab_size: 32000,
  },
  "tinyllama-1.1b": {
    hidden_size: 2048,
    intermediate_size: 5632,
    num_hidden_layers: 22,
    num_attention_heads: 32,
    num_key_value_heads: 4,
    vocab_size: 32000,
  },
} as const satisfies Record<string, ModelDims>;

export type ModelPresetName = keyof typeof MODEL_PRESETS;

export const MODEL_PRESET_NAMES = Object.keys(MODEL_PRESETS) as [ModelPresetName, ...ModelPresetName[]];
