// The decode-step program for one token at position pos: the same operations, in the same order
// and with the same shifts, as sim/golden/llama.ts decodeStep, on the layout of layout.ts.
//
//   host     wr_cmem x = embed[token] (the embedding lookup is the host's)
//   layer l  rmsnorm(x, attn gain) → bcast → gemv k → gemv q ‖ gather k (prev), rope k (pos),
//            st_bmem k rows (position pos) → gemv v ‖ gather q (prev), rope q, bcast q, the other
//            st_bmem → gather v → attention (its first score gemv ‖ st_vt v columns, position pos)
//            → bcast → gemv o ‖ x into CRAM → gather o → add(o, x) → rmsnorm(·, mlp gain)
//            → bcast → gemv gate and up, chunk by chunk: chunk j + 1 ‖ gather chunk j (prev),
//            silu(gate_j), mul(silu_j, up_j, shift F), bcast into the down GEMV's input (the
//            residual into CRAM under the last) → gather and tail of the last chunk
//            → gemv+gather down → add(down, resid) = layer output
//   (a ‖ b: b runs on the controller and the bus while the banks compute a: the chip's gemv starts
//   the banks and the sequencer goes on; the KV appends and broadcasts use the banks' second write
//   ports; a gather with prev drains the GEMV before the running one.)
//   final    rmsnorm(·, final gain) → bcast → gemv+gather LM head → rd_cmem logits (the host takes argmax)
// Attention, for each member i of a query group (query head h = g × group + i of every KV head g
// at once): bcast q_h to each of head g's banks → one score gemv on every attention bank → gather
// per die set (the heads whose banks share dies run in lockstep: their regions back to back) or per
// KV head → [requant] → softmax (len pos + 1) → bcast p to head g's banks → one PV gemv → one gather
// of every attention bank into member i's block of the attention vector.
// add and mul take their second operand from CRAM (cp_cram first); the golden's add(x, o) and
// mul(silu, up) are symmetric, so the operand order does not matter.
import type { Instruction } from "../rtl/chip.js";
import type { LlamaWeights } from "../../sim/golden/llama-weights.js";
import { attention, bcastQ, qBcastInstr } from "./attention-program.js";
import { kSlot } from "./attention-layout.js";
import { bankGemvCycles } from "../model/cycles.js";
import { instructionCycles } from "../model/cycles-chip.js";
import { bcastInput, emitter, vop, type Emit } from "./emit.js";
import type { GemvPlan, Layout } from "./layout.js";
import type { MlpPair } from "./weight-rows.js";
import { vecWords } from "./sizes.js";
import { programBuilder, type Program } from "./program.js";
import { lastGatherCycles, weightGemv, weightGemvChain } from "./weight-gemv.js";
import { packToWords } from "./words.js";

export interface StepOptions {
  /** rd_cmem every layer's output after the layer (for comparing with the golden trace). */
  readLayers?: boolean;
}


/**
 * SiLU(gate) × up of one MLP pair into its elements of CMEM act (up copied to CRAM first: mul's
 * second operand), and, with a BRAM region for the down GEMV's input, broadcast there.
 */
function siluTimesUp(layout: Layout, w: LlamaWeights, e: Emit, pair: MlpPair, downIn: number | null): void {
  const { p, cmem, cram } = layout;
  const he = p.host_elems;
  const at = pair.first / he;
  const what = pair.elems === layout.dims.intermediate ? "" : ` ${pair.first}…${pair.first + pair.elems - 1}`;
  e("intra_controller", "weights", `silu gate${what}`, vop("silu", pair.elems, cmem.gate + pair.gateWord, cmem.silu + at));
  e("intra_controller", "weights", `cp_cram up${what}`, { op: "cp_cram", src: cmem.gate + pair.upWord, dst: cram.temp + at, n: vecWords(p, pair.elems) });
  e("intra_controller", "weights", `mul silu × up${what}`, vop("mul", pair.elems, cmem.silu + at, cmem.act + at, { b: cram.temp + at, shift: w.shifts.mlpMul }));
  if (downIn !== null) bcastInput(layout, e, cmem.act + at, pair.elems, `SiLU × up${what}`, downIn + (pair.first * p.act_bits) / (p.bus.bcast_bits * p.bus.bram_r));
}


/** vop rmsnorm of CMEM[src] with a gain (in CRAM, or copied there from CMEM) into CMEM[dst]. */
export function rmsnorm(layout: Layout, e: Emit, src: number, dst: number, gain: (m: NonNullable<Layout["cram"]["gains"]>) => number, what: string): void {
  const { p, cram, cmem } = layout;
  const H = layout.dims.hidden;
  let b: number;
  if (cram.gains) {
    b = gain(cram.gains);
  } else {
    b = cram.temp;
    e("intra_controller", "weights", `cp_cram ${what} gain`, { op: "cp_cram", src: gain(cmem.gains!), dst: b, n: vecWords(p, H) });
  }
  e("intra_controller", "weights", `rmsnorm ${what}`, vop("rmsnorm", H, src, dst, { b }));
}

/**
 * y = a + CMEM[b] (b copied to CRAM first), len elements. With `staged`, b is already in CRAM's
 * residual region (stageResidual, emitted under the GEMV before).
 */
export function residualAdd(layout: Layout, e: Emit, a: number, b: number, y: number, what: string, staged = false): void {
  const { p, cram } = layout;
  const H = layout.dims.hidden;
  if (staged && cram.resid !== null) {
    e("intra_controller", "weights", `add ${what}`, vop("add", H, a, y, { b: cram.resid }));
    return;
  }
  e("intra_controller", "weights", `cp_cram ${what} residual`, { op: "cp_cram", src: b, dst: cram.temp, n: vecWords(p, H) });
  e("intra_controller", "weights", `add ${what}`, vop("add", H, a, y, { b: cram.temp }));
}

/** The residual CMEM[b] into CRAM's residual region, for a residualAdd(…, staged) (nothing without the region). */
export function stageResidual(layout: Layout, e: Emit, b: number, what: string): void {
  const { p, cram } = layout;
  if (cram.resid === null) return;
  e("intra_controller", "weights", `cp_cram ${what} residual`, { op: "cp_cram", src: b, dst: cram.resid, n: vecWords(p, layout.dims.hidden) });
}

/** Append position pos's k (after RoPE) and v of every KV head to its banks. */
export function kvAppend(layout: Layout, e: Emit, base: { k: number; v: number }, pos: number): void {
  kAppend(layout, e, base, pos);
  vAppend(layout, e, base, pos);
}

/** The st_bmem instructions that append position pos's k (after RoPE) of every KV head to its K rows. */
function kAppends(layout: Layout, base: { k: number; v: number }, pos: number): { what: string; instr: Extract<Instruction, { op: "st_bmem" }> }[] {
  const { p, attention: at, cmem, dims } = layout;
  const kw = vecWords(p, dims.headDim);
  const { slot, row } = kSlot(p, at.nd, pos);
  return at.heads.map((banks, g) => ({
    what: `st_bmem k head ${g} → bank ${banks[slot]!}`,
    instr: { op: "st_bmem", bank: banks[slot]!, addr: base.k + row * at.kRowPitch, n: kw, src: cmem.kRope + g * kw },
  }));
}

/** Append position pos's k (after RoPE) of every KV head to its K rows (st_bmem). */
export function kAppend(layout: Layout, e: Emit, base: { k: number; v: number }, pos: number): void {
  for (const a of kAppends(layout, base, pos)) e("controller_bank", "kv", a.what, a.instr);
}

/** The st_vt instructions that append position pos's v of every KV head to column pos of its V^T rows. */
function vAppends(layout: Layout, base: { k: number; v: number }, pos: number): { what: string; instr: Extract<Instruction, { op: "st_vt" }> }[] {
  const { p, attention: at, cmem, dims } = layout;
  const d = dims.headDim;
  const kvpw = p.bank.kv_per_word;
  if (at.vSpread > 0) {
    // One st_vt: banks 0 .. L-1 of every die, v in the append's order (the V GEMV's vOrder).
    const instr = { op: "st_vt", bank: 0, addr: base.v + Math.floor(pos / kvpw), stride: at.vRowWords, field: pos % kvpw, n: dims.kvHeads * d, src: cmem.v, spread: at.vSpread } as const;
    return [{ what: `st_vt v (every KV head, ${at.vSpread} banks a die)`, instr }];
  }
  return at.heads.flatMap((banks, g) =>
    banks.map((bank, s) => ({
      what: `st_vt v head ${g} dims ${s * at.vRows}… → bank ${bank}`,
      instr: {
        op: "st_vt",
        bank,
        addr: base.v + Math.floor(pos / kvpw),
        stride: at.vRowWords,
        field: pos % kvpw,
        n: at.vRows,
        src: cmem.v + ((g * d + s * at.vRows) * p.act_bits) / p.host_bits,
      } satisfies Instruction,
    })),
  );
}

/** Append position pos's v of every KV head to column pos of its V^T rows (st_vt). */
export function vAppend(layout: Layout, e: Emit, base: { k: number; v: number }, pos: number): void {
  for (const a of vAppends(layout, base, pos)) e("controller_bank", "kv", a.what, a.instr);
}

/** An instruction's cycles with idle banks (the cycle model), for budgeting a window. */
function instrCycles(layout: Layout, i: Instruction): number {
  return instructionCycles(layout.p, layout.derived, i).cycles;
}

/**
 * Decode's KV appends placed under the banks' GEMVs: in order (the K appends, then the V appends),
 * each window (a weight GEMV's last chunk, under which `during` runs, less `before` cycles of other
 * work there) takes the appends that fit its bank time, so that its gather waits for the banks
 * anyway; what is left runs under the first score GEMV (the PV GEMV is the first to read V; the K
 * appends must fit the windows before it: the last window takes whatever K appends are left).
 * Returns one emitter per window and one for the score GEMV.
 */
function scheduleAppends(
  layout: Layout,
  e: Emit,
  windows: readonly { plan: GemvPlan; before: number; kOnly?: boolean }[],
  base: { k: number; v: number },
  pos: number,
): { under: (() => void)[]; underScores: () => void } {
  const ks = kAppends(layout, base, pos);
  const vs = vAppends(layout, base, pos);
  const queue: { what: string; instr: Instruction; k: boolean }[] = [...ks.map((a) => ({ ...a, k: true })), ...vs.map((a) => ({ ...a, k: false }))];
  const parts = windows.map((wdw, wi) => {
    const last = wdw.plan.chunks[wdw.plan.chunks.length - 1]!;
    let room = bankGemvCycles(layout.derived, last.rows, wdw.plan.cols).total - 1 - wdw.before;
    const taken: typeof queue = [];
    while (queue.length > 0) {
      // A window before v is gathered takes K appends only.
      if (wdw.kOnly && !queue[0]!.k) break;
      const c = instrCycles(layout, queue[0]!.instr);
      // The last window takes every K append left: the score GEMV reads them.
      if (c > room && !(wi === windows.length - 1 && queue[0]!.k)) break;
      room -= c;
      taken.push(queue.shift()!);
    }
    return taken;
  });
  const emit = (part: typeof queue): void => part.forEach((a) => e("controller_bank", "kv", a.what, a.instr));
  const rest = [...queue];
  return { under: parts.map((part) => () => emit(part)), underScores: () => emit(rest) };
}


/** The decode step for `token` at position `pos` (the load program must have run, and steps 0 … pos - 1). */
export function stepProgram(layout: Layout, w: LlamaWeights, pos: number, token: number, opts: StepOptions = {}): Program {
  const { p, cmem, dims } = layout;
  if (!Number.isInteger(pos) || pos < 0 || pos >= dims.contextLen) throw new Error(`compiler: position ${pos} outside the context 0 … ${dims.contextLen - 1}`);
  if (!Number.isInteger(token) || token < 0 || token >= dims.vocab) throw new Error(`compiler: token ${token} outside 0 … ${dims.vocab - 1}`);
  const out = programBuilder();
  const H = dims.hidden;
  const F = dims.intermediate;
  const hw = vecWords(p, H);
  const top = emitter(out, null);
  const x = packToWords(w.embed[token]!, p.act_bits, p.host_bits);
  top("host", "weights", `wr_cmem x = embed[${token}]`, { op: "wr_cmem", addr: cmem.x, n: x.length });
  out.send(x);
  let input = cmem.x;
  layout.layers.forEach((g, l) => {
    const e = emitter(out, l);
    const base = layout.attention.layers[l]!;
    rmsnorm(layout, e, input, cmem.xn, (m) => m.attn[l]!, "attention");
    bcastInput(layout, e, cmem.xn, H, "attention norm");
    // K, then Q, then V, back to back: K is gathered while the banks compute Q, Q while they
    // compute V. Under Q run k's RoPE and K appends; under V q's RoPE, q's broadcast (when every
    // head's q goes at once) and the other K appends; V's appends (after v is gathered) under the
    // first score GEMV (scheduleAppends).
    const ropeK = vop("rope", dims.kvDim, cmem.k, cmem.kRope, { pos });
    const ropeQ = vop("rope", H, cmem.q, cmem.qRope, { pos });
      const qEarly = layout.heads.q !== null;
    const qBcast = qEarly ? instrCycles(layout, qBcastInstr(layout)) : 0;
    const appends = scheduleAppends(
      layout,
      e,
      [
        { plan: g.q, before: instrCycles(layout, ropeK) + lastGatherCycles(layout, g.k), kOnly: true },
        { plan: g.v, before: lastGatherCycles(layout, g.q) + instrCycles(layout, ropeQ) + qBcast, kOnly: true },
      ],
      base,
      pos,
    );
    weightGemvChain(layout, w, e, [
      { plan: g.k, dst: cmem.k },
      {
        plan: g.q,
        dst: cmem.q,
        during: () => {
          e("intra_controller", "kv", "rope k", ropeK);
          appends.under[0]!();
        },
      },
      {
        plan: g.v,
        dst: cmem.v,
        during: () => {
          e("intra_controller", "kv", "rope q", ropeQ);
          if (qEarly) bcastQ(layout, e);
          appends.under[1]!();
        },
      },
    ]);
    attention(layout, w, e, base, pos, appends.underScores, qEarly);
    bcastInput(layout, e, cmem.attn, layout.attention.attnCols, "attention output");
    // The adds' residual operands go to CRAM while the banks compute O and gate/up.
    const x = input;
    weightGemv(layout, w, e, g.o, cmem.o, () => stageResidual(layout, e, x, "attention"));
    residualAdd(layout, e, cmem.o, input, cmem.resid, "attention", true);
    rmsnorm(layout, e, cmem.resid, cmem.mlpNorm, (m) => m.mlp[l]!, "MLP");
    bcastInput(layout, e, cmem.mlpNorm, H, "MLP norm");
    // gate and up in chunks (Layout.mlp): each chunk's SiLU × up computed, and broadcast into the
    // down GEMV's input, while the banks compute the next chunk.
    const downIn = layout.bram.down;
    weightGemvChain(layout, w, e, [
      {
        plan: g.gate_up,
        dst: cmem.gate,
        during: () => stageResidual(layout, e, cmem.resid, "MLP"),
        afterGather: (k) => {
          for (const pair of layout.mlp.filter((x) => x.chunk === k)) siluTimesUp(layout, w, e, pair, downIn);
        },
      },
    ]);
    if (downIn === null) bcastInput(layout, e, cmem.act, F, "SiLU × up");
    weightGemvChain(layout, w, e, [{ plan: g.down, dst: cmem.down, aBase: downIn ?? layout.bram.x }]);
    residualAdd(layout, e, cmem.down, cmem.resid, cmem.out[l]!, "MLP", true);
    if (opts.readLayers) {
      e("host", "weights", "rd_cmem layer output", { op: "rd_cmem", addr: cmem.out[l]!, n: hw });
      out.read({ what: "layer_output", layer: l, words: hw, elems: H });
    }
    input = cmem.out[l]!;
  });
  rmsnorm(layout, top, input, cmem.finalNorm, (m) => m.final, "final");
  bcastInput(layout, top, cmem.finalNorm, H, "final norm");
  weightGemv(layout, w, top, layout.lmHead, cmem.logits);
  const lw = vecWords(p, dims.vocab);
  top("host", "weights", "rd_cmem logits", { op: "rd_cmem", addr: cmem.logits, n: lw });
  out.read({ what: "logits", layer: null, words: lw, elems: dims.vocab });
  return out.done();
}
