// Float references of the controller ALUs: what each fixed-point op approximates, on the same
// quantised inputs, so golden − float is the approximation error of the ALU alone.
import { ROPE_THETA } from "../../generator/rtl/ctrl_params.js";

export function floatSoftmax(scores: readonly number[]): number[] {
  const m = Math.max(...scores);
  const e = scores.map((s) => Math.exp(s - m));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

export function floatRmsnorm(x: readonly number[], g: readonly number[], eps: number): number[] {
  const ms = x.reduce((a, v) => a + v * v, 0) / x.length;
  const inv = 1 / Math.sqrt(ms + eps);
  return x.map((v, i) => v * inv * g[i]!);
}

export function floatSilu(x: number): number {
  return x / (1 + Math.exp(-x));
}

export function floatRope(x: readonly number[], pos: number, headDim: number): number[] {
  const y: number[] = [];
  for (let e = 0; e < x.length; e += 2) {
    const i = (e / 2) % (headDim / 2);
    const th = pos * ROPE_THETA ** ((-2 * i) / headDim);
    const c = Math.cos(th);
    const s = Math.sin(th);
    y.push(x[e]! * c - x[e + 1]! * s, x[e]! * s + x[e + 1]! * c);
  }
  return y;
}
