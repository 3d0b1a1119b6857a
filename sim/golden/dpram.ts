// Golden model of <name>_dpram: a memory with a history of writes, read at clock edges.
//
// Timing rule (the RTL's, documented in templates/rtl/dpram.v.hbs): a write in cycle c takes effect
// at edge c (the rising edge that ends cycle c). A read sampled at edge e returns the word as it was
// before edge e: it sees every write of cycles < e, and NOT a write of cycle e to the same address
// (read-first: the old data).

interface Entry {
  cycle: number;
  data: bigint;
}

export class DpramModel {
  private readonly history = new Map<number, Entry[]>();
  private readonly writeCycles = new Set<number>();

  constructor(
    readonly label: string,
    readonly width: number,
    readonly depth: number,
  ) {}

  private check(addr: number, data: bigint): void {
    if (!Number.isInteger(addr) || addr < 0 || addr >= this.depth) {
      throw new Error(`${this.label}: address ${addr} out of range 0..${this.depth - 1}`);
    }
    if (data < 0n || data >= 1n << BigInt(this.width)) {
      throw new Error(`${this.label}: data 0x${data.toString(16)} does not fit ${this.width} bits`);
    }
  }

  /** Contents written before the timed phase (seen by every timed read). */
  preload(addr: number, data: bigint): void {
    this.write(-Infinity, addr, data);
  }

  /** A write in cycle `cycle` (one per cycle: the RAM has one write port). */
  write(cycle: number, addr: number, data: bigint): void {
    this.check(addr, data);
    if (Number.isFinite(cycle)) {
      if (this.writeCycles.has(cycle)) throw new Error(`${this.label}: two writes in cycle ${cycle}`);
      this.writeCycles.add(cycle);
    }
    const list = this.history.get(addr) ?? [];
    list.push({ cycle, data });
    list.sort((a, b) => a.cycle - b.cycle);
    this.history.set(addr, list);
  }

  /** The word a read sampled at edge `edge` returns; undefined when never written (uninitialised). */
  readAt(edge: number, addr: number): bigint | undefined {
    if (!Number.isInteger(addr) || addr < 0 || addr >= this.depth) {
      throw new Error(`${this.label}: read address ${addr} out of range 0..${this.depth - 1}`);
    }
    const list = this.history.get(addr);
    if (!list) return undefined;
    let found: bigint | undefined;
    for (const e of list) {
      if (e.cycle < edge) found = e.data;
      else break;
    }
    return found;
  }
}
