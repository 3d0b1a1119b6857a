// The one-time load program: every bank's weight image (ld_bmem), the KV cache of every attention
// bank zero-filled (ld_bmem of zeros: st_vt keeps the other fields of the words it writes, and the
// score GEMV reads rows not appended yet), the RMSNorm gains (wr_cram, or wr_cmem when they
// live in CMEM), and, when the probabilities go to the banks in one broadcast (head-bcast.ts), their
// CMEM regions zero-filled (the broadcast sends whole regions; softmax writes the first n of each).
import type { LlamaWeights } from "../../sim/golden/llama-weights.js";
import { bankWeightImage } from "./images.js";
import type { GainMap, Layout } from "./layout.js";
import { programBuilder, type InstrTag, type Program } from "./program.js";
import { packToWords, rewrap } from "./words.js";

const hostTag = (what: string, layer: number | null = null): InstrTag => ({ part: "host", stream: "weights", layer, what });

export function loadProgram(layout: Layout, w: LlamaWeights): Program {
  const { p } = layout;
  const out = programBuilder();
  const rb = p.bank.read_bits;
  const hb = p.host_bits;
  for (let bank = 0; bank < p.banks; bank++) {
    const data = rewrap(bankWeightImage(layout, w, bank), rb, hb);
    out.emit({ op: "ld_bmem", bank, addr: 0, n: data.length }, hostTag(`weights → bank ${bank}`));
    out.send(data);
  }
  const z = layout.attention.zero;
  const zeroWords = (z.words * rb) / hb;
  for (const bank of layout.attention.banks) {
    out.emit({ op: "ld_bmem", bank, addr: z.base, n: zeroWords }, { ...hostTag(`KV cache zero-fill → bank ${bank}`), stream: "kv" });
    out.send(Array.from({ length: zeroWords }, () => 0n));
  }
  const gains = (map: GainMap, op: "wr_cram" | "wr_cmem"): void => {
    const one = (addr: number, g: readonly bigint[], what: string, layer: number | null): void => {
      const data = packToWords(g, p.act_bits, hb);
      out.emit({ op, addr, n: data.length }, hostTag(what, layer));
      out.send(data);
    };
    w.layers.forEach((lw, l) => {
      one(map.attn[l]!, lw.attnNorm, "attention norm gain", l);
      one(map.mlp[l]!, lw.mlpNorm, "MLP norm gain", l);
    });
    one(map.final, w.finalNorm, "final norm gain", null);
  };
  if (layout.cram.gains) gains(layout.cram.gains, "wr_cram");
  if (layout.cmem.gains) gains(layout.cmem.gains, "wr_cmem");
  if (layout.heads.p) {
    const n = layout.attention.heads.length * layout.cmem.probWords;
    out.emit({ op: "wr_cmem", addr: layout.cmem.probs[0]!, n }, { ...hostTag("probability regions zero-fill"), stream: "kv" });
    out.send(Array.from({ length: n }, () => 0n));
  }
  return out.done();
}
