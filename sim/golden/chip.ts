// Golden model of <name>_chip at the instruction level: CMEM, CRAM, every bank's BMEM and BRAM, the
// dies' result packers, and what each instruction of generator/rtl/chip.ts does to them. Bit-exact
// with the RTL; built on the block golden models (sim/golden/{mac,interconnect,ctrl_*}.ts): a GEMV
// is the bank's dot products (wrapped to accumulator_bits), requantised and packed by the die's
// packers; a gather joins the dies' words as the interconnect does; vop is the ALU's golden op.
import { bankOfSlot, gemvMask, slotOfBank, type ChipParams, type Instruction } from "../../generator/rtl/chip.js";
import { builtAluOp, CTRL_OPCODES } from "../../generator/rtl/ctrl_valu.js";
import { goldenAdd, goldenMax, goldenMul, goldenRequant, goldenSum } from "./ctrl_elementwise.js";
import { saturate } from "./ctrl_fixed.js";
import { goldenRmsnorm } from "./ctrl_rmsnorm.js";
import { goldenRope } from "./ctrl_rope.js";
import { goldenSilu } from "./ctrl_silu.js";
import { goldenSoftmax } from "./ctrl_softmax.js";
import { broadcastWrites, busTransfer, gatherBeats } from "./interconnect.js";
import { signedField, wrap } from "./mac.js";

const mask = (bits: number): bigint => (1n << BigInt(bits)) - 1n;

/** Words of `bits` each, word 0 in the low bits, as one number. */
export function joinWords(words: readonly bigint[], bits: number): bigint {
  let v = 0n;
  for (let i = words.length - 1; i >= 0; i--) v = (v << BigInt(bits)) | (words[i]! & mask(bits));
  return v;
}

/** The first `count` words of `bits` of a stream (zero past its end). */
export function splitWords(stream: bigint, bits: number, count: number): bigint[] {
  return Array.from({ length: count }, (_, i) => (stream >> BigInt(i * bits)) & mask(bits));
}

/** Elements (signed, `bits` each) packed from bit 0 up. */
export function packElements(values: readonly bigint[], bits: number): bigint {
  return joinWords(
    values.map((v) => BigInt.asUintN(bits, v)),
    bits,
  );
}

export function unpackElements(stream: bigint, bits: number, count: number): bigint[] {
  return Array.from({ length: count }, (_, i) => signedField(stream, i, bits));
}

/** The value of a uninitialised word read: the model refuses it (the RTL would read garbage). */
function defined(v: bigint | undefined, what: string): bigint {
  if (v === undefined) throw new Error(`golden chip: ${what} read before it was written`);
  return v;
}

export class ChipModel {
  readonly cmem: (bigint | undefined)[];
  readonly cram: (bigint | undefined)[];
  readonly bmem: Map<number, bigint>[];
  readonly bram: Map<number, bigint>[];
  /**
   * Per bank: the results (accumulator values) of GEMVs not yet gathered, oldest first, each as one
   * list per vector (a GEMV: one list; a GEMM of B vectors: B lists, gathered in order).
   */
  readonly pending: bigint[][][][];
  /** Per bank: the vector of its oldest pending GEMV that the next gather takes. */
  private readonly pendingTok: number[];
  /** Requantisation shift of each pending list (the GEMV's). */
  readonly pendingShift: number[][];
  /** Element packing of each pending list (the GEMV's pack). */
  readonly pendingPack: boolean[][];
  /** Words the host sent and the chip has not consumed yet. */
  private hostIn: bigint[] = [];
  /** The next host word an instruction takes (words before it are consumed). */
  private hostPos = 0;
  /** Words the chip sent to the host. */
  readonly hostOut: { data: bigint; last: boolean }[] = [];
  /**
   * The GEMV the banks may still be running (from its gemv to the next gemv or gather, which wait
   * for the banks): the words it reads must not be written meanwhile (the RTL would race).
   */
  private running: { mask: bigint; bmem: [number, number]; bram: [number, number] } | null = null;

  constructor(readonly p: ChipParams) {
    this.cmem = Array.from({ length: p.cmem_depth }, () => undefined);
    this.cram = Array.from({ length: p.cram_depth }, () => undefined);
    this.bmem = Array.from({ length: p.banks }, () => new Map());
    this.bram = Array.from({ length: p.banks }, () => new Map());
    this.pending = Array.from({ length: p.banks }, () => []);
    this.pendingShift = Array.from({ length: p.banks }, () => []);
    this.pendingPack = Array.from({ length: p.banks }, () => []);
    this.pendingTok = Array.from({ length: p.banks }, () => 0);
  }

  /** Host data words, consumed in order by wr_cmem, wr_cram and ld_bmem (any number: no spread, which overflows the stack on a bench-sized load). */
  send(words: readonly bigint[]): void {
    for (const w of words) this.hostIn.push(w);
  }

  private take(n: number): bigint[] {
    const left = this.hostIn.length - this.hostPos;
    if (left < n) throw new Error(`golden chip: an instruction needs ${n} host words, ${left} were sent`);
    const words = this.hostIn.slice(this.hostPos, this.hostPos + n);
    this.hostPos += n;
    // Drop the consumed words now and then (not on every take: that would copy the rest each time).
    if (this.hostPos > 65536 && this.hostPos * 2 > this.hostIn.length) {
      this.hostIn = this.hostIn.slice(this.hostPos);
      this.hostPos = 0;
    }
    return words;
  }

  private readWords(mem: readonly (bigint | undefined)[], addr: number, n: number, what: string): bigint[] {
    return Array.from({ length: n }, (_, i) => defined(mem[addr + i], `${what}[${addr + i}]`));
  }

  private writeWords(mem: (bigint | undefined)[], addr: number, words: readonly bigint[], what: string): void {
    words.forEach((w, i) => {
      if (addr + i >= mem.length) throw new Error(`golden chip: ${what} address ${addr + i} out of range`);
      mem[addr + i] = w;
    });
  }

  /** A bit stream of `bits` bits as broadcast beats (the last zero-padded). */
  private beats(stream: bigint, bits: number): bigint[] {
    const b = this.p.bus.bcast_bits;
    return splitWords(stream, b, Math.ceil(bits / b));
  }

  /** Throws when a write hits a word the running GEMV reads. */
  private guard(bank: number, mem: "bmem" | "bram", addr: number, what: string): void {
    const r = this.running;
    if (!r || ((r.mask >> BigInt(bank)) & 1n) === 0n) return;
    const [lo, hi] = r[mem];
    if (addr >= lo && addr <= hi) {
      throw new Error(`golden chip: ${what} writes ${mem.toUpperCase()} word ${addr} of bank ${bank}, which the GEMV still running reads (words ${lo} … ${hi}); put a gather or the next gemv first`);
    }
  }

  /**
   * A bus transfer to target 0 (every BRAM; or, with `onlyBank`, bank onlyBank's BRAM alone: the
   * same beats, the other banks' BRAMs untouched) or k + 1 (bank k's BMEM).
   */
  private busWrite(target: number, word: number, beats: readonly bigint[], what: string, onlyBank?: number): void {
    const w = broadcastWrites(this.p.bus, busTransfer(this.p.bus, target, word, beats));
    for (let d = 0; d < this.p.dies; d++) {
      for (const wr of w.bram[d]!) {
        for (let k = 0; k < this.p.banks_per_die; k++) {
          const bank = d * this.p.banks_per_die + k;
          if (onlyBank !== undefined && onlyBank !== bank) continue;
          this.guard(bank, "bram", wr.addr, what);
          this.bram[bank]!.set(wr.addr, wr.data);
        }
      }
    }
    w.bmem.forEach((ws, bank) =>
      ws.forEach((wr) => {
        this.guard(bank, "bmem", wr.addr, what);
        this.bmem[bank]!.set(wr.addr, wr.data);
      }),
    );
  }

  /**
   * One bank's GEMV results (accumulator values, wrapped), from its memories as they are now: rows
   * of weight_bits fields, or of kv_bits fields when `kv`.
   */
  bankGemv(bank: number, rows: number, cols: number, wBase: number, aBase: number, kv = false, pitch = 0, batch = 1, aStride = 0, aSlice = 0): bigint[] {
    const b = this.p.bank;
    const perWord = kv ? b.kv_per_word : b.weights_per_word;
    const bits = kv ? b.kv_bits : b.weight_bits;
    const wpr = pitch > 0 ? pitch : Math.ceil(cols / perWord);
    const perBram = b.bram_slices * b.lanes;
    // A GEMM (batch > 1, weight rows only): vector t from BRAM word aBase + t × aStride; results row-major.
    const vectors = kv ? 1 : Math.max(1, batch);
    const acts = Array.from({ length: vectors }, (_, t) =>
      Array.from({ length: cols }, (_, c) =>
        signedField(defined(this.bram[bank]!.get(aBase + t * aStride + Math.floor((aSlice * b.lanes + c) / perBram)), `BRAM ${bank}`), (aSlice * b.lanes + c) % perBram, b.act_bits),
      ),
    );
    return Array.from({ length: rows }, (_, r) => {
      const weights = Array.from({ length: cols }, (_, c) =>
        signedField(defined(this.bmem[bank]!.get(wBase + r * wpr + Math.floor(c / perWord)), `BMEM ${bank}`), c % perWord, bits),
      );
      return acts.map((a) => wrap(weights.reduce((acc, w, c) => acc + w * a[c]!, 0n), b.acc_bits).value);
    }).flat();
  }

  /** The vector ALU's result for `alu` on a (and b), as A-bit codes (sum and max saturated to A bits). */
  valu(alu: number, a: readonly bigint[], b: readonly bigint[], shift: number, mult: bigint, pos: number): bigint[] {
    const c = this.p.ctrl;
    switch (alu) {
      case CTRL_OPCODES.add:
        return goldenAdd(c, a, b);
      case CTRL_OPCODES.mul:
        return goldenMul(c, a, b, shift);
      case CTRL_OPCODES.sum:
        return [saturate(goldenSum(c, a), c.a)];
      case CTRL_OPCODES.max:
        return [goldenMax(c, a)];
      case CTRL_OPCODES.softmax:
        return goldenSoftmax(c, a);
      case CTRL_OPCODES.rmsnorm:
        return goldenRmsnorm(c, a, b);
      case CTRL_OPCODES.silu:
        return goldenSilu(c, a);
      case CTRL_OPCODES.rope:
        return goldenRope(c, a, pos);
      case CTRL_OPCODES.requant:
        return goldenRequant(c, a, mult, shift);
      default:
        throw new Error(`golden chip: vop alu ${alu} is not an ALU op`);
    }
  }

  run(instr: Instruction): void {
    const p = this.p;
    const hb = p.host_bits;
    const ab = p.act_bits;
    const n = (v: number | bigint): number => Number(v);
    switch (instr.op) {
      case "nop":
        return;
      case "wr_cmem":
        this.writeWords(this.cmem, n(instr.addr), this.take(n(instr.n)), "CMEM");
        return;
      case "wr_cram":
        this.writeWords(this.cram, n(instr.addr), this.take(n(instr.n)), "CRAM");
        return;
      case "rd_cmem": {
        const words = this.readWords(this.cmem, n(instr.addr), n(instr.n), "CMEM");
        words.forEach((data, i) => this.hostOut.push({ data, last: i === words.length - 1 }));
        return;
      }
      case "ld_bmem": {
        const words = this.take(n(instr.n));
        if (words.length === 0) return;
        this.busWrite(n(instr.bank) + 1, n(instr.addr), this.beats(joinWords(words, hb), words.length * hb), "ld_bmem");
        return;
      }
      case "bcast": {
        if (n(instr.n) === 0) return;
        const words = this.readWords(this.cmem, n(instr.addr), n(instr.n), "CMEM");
        const sel = n(instr.bank ?? 0);
        if (sel > p.banks) throw new Error(`golden chip: bcast bank select ${sel} names no bank (0: every bank, k + 1: bank k < ${p.banks})`);
        this.busWrite(0, n(instr.bram), this.beats(joinWords(words, hb), words.length * hb), "bcast", sel === 0 ? undefined : sel - 1);
        return;
      }
      case "st_bmem": {
        if (n(instr.n) === 0) return;
        if (n(instr.bank) >= p.banks) throw new Error(`golden chip: st_bmem to bank ${n(instr.bank)} of ${p.banks}`);
        const words = this.readWords(this.cmem, n(instr.src), n(instr.n), "CMEM");
        this.busWrite(n(instr.bank) + 1, n(instr.addr), this.beats(joinWords(words, hb), words.length * hb), "st_bmem");
        return;
      }
      case "st_vt": {
        const count = n(instr.n);
        if (count === 0) return;
        const bank = n(instr.bank);
        if (bank >= p.banks) throw new Error(`golden chip: st_vt to bank ${bank} of ${p.banks}`);
        const kb = p.bank.kv_bits;
        const field = n(instr.field);
        if (field >= p.bank.kv_per_word) throw new Error(`golden chip: st_vt field ${field} of a ${p.bank.kv_per_word}-field word`);
        const words = this.readWords(this.cmem, n(instr.src), Math.ceil((count * kb) / hb), "CMEM");
        const fields = splitWords(joinWords(words, hb), kb, count);
        const at = BigInt(field * kb);
        // spread = L > 0: field e goes to slot s = e mod S (S = L × dies) at block j = floor(e / S);
        // slot s is bank (s mod dies) × banks_per_die + floor(s / dies). Otherwise: bank `bank`, j = e.
        const spread = n(instr.spread ?? 0);
        const S = spread * p.dies;
        if (spread > p.banks_per_die) throw new Error(`golden chip: st_vt spread ${spread} over ${p.banks_per_die} banks a die`);
        const fpb = p.bus.bcast_bits / kb;
        if (spread > 0 && fpb % S !== 0) throw new Error(`golden chip: st_vt spread ${spread}: ${S} slots do not divide a beat's ${fpb} fields`);
        if (spread > 0 && count % S !== 0) throw new Error(`golden chip: st_vt spread ${spread}: ${count} fields are not whole blocks of ${S}`);
        fields.forEach((f, e) => {
          const s = spread > 0 ? e % S : 0;
          const to = spread > 0 ? bankOfSlot(p, s) : bank;
          const addr = n(instr.addr) + (spread > 0 ? Math.floor(e / S) : e) * n(instr.stride);
          if (addr >= p.bank.bmem_depth) throw new Error(`golden chip: st_vt BMEM address ${addr} out of range`);
          this.guard(to, "bmem", addr, "st_vt");
          const old = defined(this.bmem[to]!.get(addr), `BMEM ${to}[${addr}] (st_vt keeps its other fields)`);
          this.bmem[to]!.set(addr, (old & ~(mask(kb) << at)) | (f << at));
        });
        return;
      }
      case "cp_cram": {
        if (n(instr.n) === 0) return;
        this.writeWords(this.cram, n(instr.dst), this.readWords(this.cmem, n(instr.src), n(instr.n), "CMEM"), "CRAM");
        return;
      }
      case "gemv": {
        const rows = n(instr.rows);
        const on = gemvMask(p, instr);
        // It waits for the previous GEMV; this one runs on while the next instructions do.
        const kv = n(instr.kv ?? 0) === 1;
        const wpr = n(instr.pitch ?? 0) || Math.ceil(n(instr.cols) / (kv ? p.bank.kv_per_word : p.bank.weights_per_word));
        const vectors = kv ? 1 : Math.max(1, n(instr.batch ?? 1));
        const aStride = n(instr.a_stride ?? 0);
        // Each bank's first MAC beat: a_base × slices + a_slice, plus its head's offset with hstep.
        const slices = p.bank.bram_slices;
        const hstep = n(instr.hstep ?? 0);
        const firstBeat = (bank: number): number => {
          const head = hstep === 0 ? 0 : (slotOfBank(p, bank) >> n(instr.hsh ?? 0)) * 2 ** (hstep - 1);
          return n(instr.a_base) * slices + n(instr.a_slice ?? 0) + head;
        };
        const banksOn = Array.from({ length: p.banks }, (_, k) => k).filter((k) => ((on >> BigInt(k)) & 1n) === 1n);
        const beats = Math.max(1, Math.ceil(n(instr.cols) / p.bank.lanes));
        this.running =
          rows === 0
            ? null
            : {
                mask: on,
                bmem: [n(instr.w_base), n(instr.w_base) + rows * Math.max(1, wpr) - 1],
                bram: [
                  Math.min(...banksOn.map((k) => Math.floor(firstBeat(k) / slices))),
                  Math.max(...banksOn.map((k) => Math.floor((firstBeat(k) + beats - 1) / slices))) + (vectors - 1) * aStride,
                ],
              };
        for (const bank of banksOn) {
          const beat = firstBeat(bank);
          const results = this.bankGemv(bank, rows, n(instr.cols), n(instr.w_base), Math.floor(beat / slices), kv, n(instr.pitch ?? 0), vectors, aStride, beat % slices);
          // A GEMV of 0 rows leaves nothing in the packer.
          if (rows > 0) {
            // Row-major (row r for vectors 0 .. B-1): the packer keeps each vector's results apart.
            this.pending[bank]!.push(Array.from({ length: vectors }, (_, t) => results.filter((_, j) => j % vectors === t)));
            this.pendingShift[bank]!.push(n(instr.shift));
            this.pendingPack[bank]!.push(n(instr.pack ?? 0) === 1);
          }
        }
        return;
      }
      case "gather": {
        const m = BigInt(instr.mask);
        const prev = n(instr.prev ?? 0) === 1;
        // It waits for the banks: no GEMV runs after it. With prev it does not: the running GEMV
        // runs on, and the gather takes the results of the one before it (a GEMV's, not a GEMM's).
        if (m !== 0n && !prev) this.running = null;
        const on = Array.from({ length: p.banks }, (_, k) => ((m >> BigInt(k)) & 1n) === 1n);
        if (!on.includes(true)) return;
        if (prev) {
          on.forEach((yes, bank) => {
            if (!yes) return;
            const q = this.pending[bank]!;
            const runs = this.running !== null && ((this.running.mask >> BigInt(bank)) & 1n) === 1n;
            if (runs && q.length < 2) throw new Error(`golden chip: gather prev of bank ${bank}, whose only results are the running GEMV's (they are not all packed yet)`);
            if (q.length > 0 && (q[0]!.length !== 1 || q[q.length - 1]!.length !== 1)) throw new Error(`golden chip: gather prev of bank ${bank} with a GEMM's results pending (the packers read a GEMM by its batch, which the running GEMV set)`);
          });
        }
        const results: bigint[][] = Array.from({ length: p.banks }, () => []);
        let shift: number | undefined;
        let pack: boolean | undefined;
        const tok = n(instr.tok ?? 0);
        on.forEach((yes, bank) => {
          if (!yes) return;
          const entry = this.pending[bank]![0];
          const s = this.pendingShift[bank]![0];
          const pk = this.pendingPack[bank]![0];
          if (entry === undefined || s === undefined) throw new Error(`golden chip: gather of bank ${bank}, which has no results (the chip would wait for ever)`);
          if (tok !== this.pendingTok[bank]) {
            throw new Error(`golden chip: gather of vector ${tok} of bank ${bank}, whose next vector is ${this.pendingTok[bank]}: a GEMM's vectors are gathered in order, each once`);
          }
          const r = entry[tok]!;
          if (tok === entry.length - 1) {
            this.pending[bank]!.shift();
            this.pendingShift[bank]!.shift();
            this.pendingPack[bank]!.shift();
            this.pendingTok[bank] = 0;
          } else {
            this.pendingTok[bank] = tok + 1;
          }
          if (shift !== undefined && s !== shift) throw new Error("golden chip: one gather of results with different shifts");
          shift = s;
          if (pack !== undefined && pk !== pack) throw new Error("golden chip: one gather of results with and without element packing");
          pack = pk;
          results[bank] = r;
        });
        const beats = gatherBeats(p.bus, results, on, shift ?? 0, pack ?? false);
        const link = p.bus.link_bits;
        // The controller compacts each beat: only the words of dies that sent one, in die order.
        const kept = beats.flatMap((b) => b.words.filter((_, d) => b.keep[d]));
        const stream = joinWords(kept, link);
        const bits = kept.length * link;
        this.writeWords(this.cmem, n(instr.addr), splitWords(stream, hb, Math.ceil(bits / hb)), "CMEM");
        return;
      }
      case "vop": {
        const len = n(instr.len);
        const alu = n(instr.alu);
        // len 0, or an alu that is no ALU op the chip built: nothing (as the sequencer does).
        if (len === 0 || builtAluOp(p.valu.ops, alu) === undefined) return;
        const words = Math.ceil(len / p.host_elems);
        const a = unpackElements(joinWords(this.readWords(this.cmem, n(instr.a), words, "CMEM"), hb), ab, len);
        const binary = alu === CTRL_OPCODES.add || alu === CTRL_OPCODES.mul || alu === CTRL_OPCODES.rmsnorm;
        const b = binary ? unpackElements(joinWords(this.readWords(this.cram, n(instr.b), words, "CRAM"), hb), ab, len) : [];
        const y = this.valu(alu, a, b, n(instr.shift), BigInt(instr.mult), n(instr.pos));
        this.writeWords(this.cmem, n(instr.y), splitWords(packElements(y, ab), hb, Math.ceil(y.length / p.host_elems)), "CMEM");
        return;
      }
    }
  }
}
