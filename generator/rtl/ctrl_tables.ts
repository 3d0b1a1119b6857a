// Emitting lookup tables into Verilog: case items with sized literals, two's complement for
// negative entries. The text is a pure function of the table, so the same spec gives the same bytes.

export interface CaseItem {
  key: string;
  val: string;
}

/** A sized hexadecimal Verilog literal of `value` in `bits` bits (two's complement when negative). */
export function vhex(bits: number, value: number | bigint): string {
  const v = BigInt(value);
  const lo = -(1n << BigInt(bits - 1));
  const hi = (1n << BigInt(bits)) - 1n;
  if (v < lo || v > hi) throw new Error(`vhex: ${v} does not fit ${bits} bits`);
  const u = BigInt.asUintN(bits, v);
  return `${bits}'h${u.toString(16).padStart(Math.ceil(bits / 4), "0")}`;
}

/** Case items `index: value` of a table, index in `keyBits` bits, entries in `valBits` bits. */
export function caseItems(table: readonly number[], keyBits: number, valBits: number): CaseItem[] {
  return table.map((v, i) => ({ key: vhex(keyBits, i), val: vhex(valBits, v) }));
}
