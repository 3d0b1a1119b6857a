// Golden model of the controller's RoPE (templates/rtl/ctrl_rope.v.hbs), bit-exact.
//
// Interleaved pairs (Meta's LLaMA formulation; Hugging Face's rotate_half layout is the same
// rotation after its q/k weight permutation): element 2i and 2i+1 of a head, i = pair index,
// rotate by pos · θ_i, θ_i = 10000^(-2i/headDim). Vectors start at a head boundary; pair index =
// (element / 2) mod (headDim / 2), so q (all heads) and k (all KV heads) stream alike.
//   phase = (pos · freq[i]) mod 2^32                 (turns, 32 fractional bits)
//   n     = phase >> (32 - CT)                       (table index, N = 2^CT entries per turn)
//   f     = next FB phase bits below n               (interpolation fraction, units 2^-FB)
//   L(k)  = cos[k] + round_half_up((cos[(k+1) mod N] - cos[k]) · f, FB)
//   c, s  = L(n), L((n - N/4) mod N)                 (sin θ = cos(θ - quarter turn))
//   y0    = sat_A(round_half_up(x0·c - x1·s, CS - 2))
//   y1    = sat_A(round_half_up(x0·s + x1·c, CS - 2))
// Rotation does not change the scale: in and out share the input's format.
import { ROPE_PHASE_BITS, type CtrlParams } from "../../generator/rtl/ctrl_params.js";
import { checkCodes, roundShift, saturate } from "./ctrl_fixed.js";

export interface RopeAngle {
  /** Table index n. */
  index: number;
  /** Interpolation fraction f (fBits bits). */
  frac: bigint;
}

export function ropeAngle(p: CtrlParams, pos: number, pair: number): RopeAngle {
  const r = p.rope;
  const phase = (BigInt(pos) * BigInt(r.freq[pair]!)) & ((1n << BigInt(ROPE_PHASE_BITS)) - 1n);
  const below = ROPE_PHASE_BITS - r.ctBits;
  return {
    index: Number(phase >> BigInt(below)),
    frac: (phase >> BigInt(below - r.fBits)) & ((1n << BigInt(r.fBits)) - 1n),
  };
}

/** The interpolated cosine at table index n plus fraction f, in csBits-bit units (2^(csBits-2) = 1.0). */
export function ropeCos(p: CtrlParams, n: number, frac: bigint): bigint {
  const r = p.rope;
  const size = 2 ** r.ctBits;
  const c0 = BigInt(r.cos[n]!);
  const c1 = BigInt(r.cos[(n + 1) % size]!);
  return c0 + roundShift((c1 - c0) * frac, r.fBits);
}

export function goldenRope(p: CtrlParams, x: readonly bigint[], pos: number): bigint[] {
  const r = p.rope;
  checkCodes(x, p.a, "x");
  if (x.length % 2 !== 0) throw new Error(`rope length ${x.length} is odd`);
  if (!Number.isInteger(pos) || pos < 0 || pos >= 2 ** r.posBits) throw new Error(`rope pos ${pos} out of range`);
  const size = 2 ** r.ctBits;
  const sh = r.csBits - 2;
  const y: bigint[] = [];
  for (let e = 0; e < x.length; e += 2) {
    const { index, frac } = ropeAngle(p, pos, (e / 2) % r.pairs);
    const c = ropeCos(p, index, frac);
    const s = ropeCos(p, (index - size / 4 + size) % size, frac);
    const x0 = x[e]!;
    const x1 = x[e + 1]!;
    y.push(saturate(roundShift(x0 * c - x1 * s, sh), p.a), saturate(roundShift(x0 * s + x1 * c, sh), p.a));
  }
  return y;
}
