// A KV cache written straight into the banks: the BMEM image of every attention bank's KV region
// (every layer's K rows and V^T columns, laid out as the step program's appends would have left
// them) and the ld_bmem program that loads it in place of the zero fill. Used to start a decode at
// a long context without decoding every earlier position (bench/: one layer at position 511), and
// by tests; the golden model takes the same cache (sim/golden/llama.ts decodeStep).
import type { LlamaCache } from "../../sim/golden/llama.js";
import { kSlot } from "./attention-layout.js";
import type { Layout } from "./layout.js";
import { programBuilder, type Program } from "./program.js";
import { packToWords, rewrap } from "./words.js";

const maskOf = (bits: number): bigint => (1n << BigInt(bits)) - 1n;

/** Per attention bank: its KV region's BMEM words (layout.attention.zero) holding `cache`. */
export function kvCacheImages(layout: Layout, cache: LlamaCache): Map<number, bigint[]> {
  const { p, attention: at, dims } = layout;
  const d = dims.headDim;
  const kb = p.bank.kv_bits;
  const kvpw = p.bank.kv_per_word;
  const z = at.zero;
  const images = new Map(at.banks.map((b) => [b, Array.from({ length: z.words }, () => 0n)]));
  if (cache.length !== at.layers.length) throw new Error(`compiler: a cache of ${cache.length} layers for ${at.layers.length}`);
  cache.forEach((lc, l) => {
    const base = at.layers[l]!;
    const n = lc.k.length;
    if (n > dims.contextLen || lc.v.length !== n) throw new Error(`compiler: a cache of ${n} K and ${lc.v.length} V rows (context ${dims.contextLen})`);
    for (let t = 0; t < n; t++) {
      const { slot, row } = kSlot(p, at.nd, t);
      at.heads.forEach((banks, g) => {
        const img = images.get(banks[slot]!)!;
        const words = packToWords(lc.k[t]!.slice(g * d, (g + 1) * d), kb, p.bank.read_bits);
        words.forEach((w, i) => (img[base.k - z.base + row * at.kRowPitch + i] = w));
        banks.forEach((bank, s) => {
          const vimg = images.get(bank)!;
          const at0 = BigInt((t % kvpw) * kb);
          for (let j = 0; j < at.vRows; j++) {
            const addr = base.v - z.base + j * at.vRowWords + Math.floor(t / kvpw);
            const f = BigInt.asUintN(kb, lc.v[t]![g * d + s * at.vRows + j]!);
            vimg[addr] = (vimg[addr]! & ~(maskOf(kb) << at0)) | (f << at0);
          }
        });
      });
    }
  });
  return images;
}

/** ld_bmem of every attention bank's KV region holding `cache` (after the load program). */
export function kvCacheProgram(layout: Layout, cache: LlamaCache): Program {
  const { p } = layout;
  const out = programBuilder();
  for (const [bank, img] of kvCacheImages(layout, cache)) {
    const data = rewrap(img, p.bank.read_bits, p.host_bits);
    out.emit({ op: "ld_bmem", bank, addr: layout.attention.zero.base, n: data.length }, { part: "host", stream: "kv", layer: null, what: `KV cache → bank ${bank}` });
    out.send(data);
  }
  return out.done();
}
