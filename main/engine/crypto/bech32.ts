// Bech32 (BIP 173) as age uses it for "age1…" recipients and "AGE-SECRET-KEY-1…" identities.
const ALPHABET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GENERATORS = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function polymod(values: number[]): number {
  let checksum = 1;
  for (const value of values) {
    const top = checksum >>> 25;
    checksum = ((checksum & 0x1ffffff) << 5) ^ value;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) checksum ^= GENERATORS[i]!;
  }
  return checksum >>> 0;
}

function expandPrefix(prefix: string): number[] {
  const codes = [...prefix].map((c) => c.charCodeAt(0));
  return [...codes.map((c) => c >> 5), 0, ...codes.map((c) => c & 31)];
}

function regroup(data: ArrayLike<number>, from: number, to: number, pad: boolean): number[] {
  let accumulator = 0;
  let bits = 0;
  const out: number[] = [];
  const mask = (1 << to) - 1;
  for (let i = 0; i < data.length; i++) {
    accumulator = (accumulator << from) | data[i]!;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((accumulator >> bits) & mask);
    }
  }
  if (pad) {
    if (bits > 0) out.push((accumulator << (to - bits)) & mask);
  } else if (bits >= from || ((accumulator << (to - bits)) & mask)) {
    throw new Error('invalid bech32 padding');
  }
  return out;
}

export function bech32Encode(prefix: string, bytes: Uint8Array): string {
  const data = regroup(bytes, 8, 5, true);
  const mod = polymod([...expandPrefix(prefix), ...data, 0, 0, 0, 0, 0, 0]) ^ 1;
  const checksum = [0, 1, 2, 3, 4, 5].map((i) => (mod >> (5 * (5 - i))) & 31);
  return `${prefix}1${[...data, ...checksum].map((d) => ALPHABET[d]).join('')}`;
}

export function bech32Decode(text: string): { prefix: string; bytes: Buffer } {
  if (text !== text.toLowerCase() && text !== text.toUpperCase()) throw new Error('mixed case');
  const lower = text.toLowerCase();
  const separator = lower.lastIndexOf('1');
  if (separator < 1 || separator + 7 > lower.length) throw new Error('missing separator');
  const prefix = lower.slice(0, separator);
  const data = [...lower.slice(separator + 1)].map((c) => {
    const index = ALPHABET.indexOf(c);
    if (index < 0) throw new Error(`invalid character "${c}"`);
    return index;
  });
  if (polymod([...expandPrefix(prefix), ...data]) !== 1) throw new Error('bad checksum');
  return { prefix, bytes: Buffer.from(regroup(data.slice(0, -6), 5, 8, false)) };
}
