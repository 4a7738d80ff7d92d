// Small helpers the benchmark reports share: medians, sizes and tables (text and Markdown).

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The median of the numbers present (null when none is). */
export function medianOrNull(values: Array<number | undefined | null>): number | null {
  const present = values.filter((v): v is number => typeof v === 'number');
  return present.length ? median(present) : null;
}

export function formatMB(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

export const fx = (v: number | null, digits = 2, suffix = '') => (v === null ? '—' : `${v.toFixed(digits)}${suffix}`);

export function textTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length)));
  const line = (row: string[]) => row.map((cell, col) => cell.padEnd(widths[col]!)).join('  ').trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export function markdownTable(rows: string[][]): string {
  const esc = (cell: string) => cell.replaceAll('|', '\\|');
  return [
    `| ${rows[0]!.map(esc).join(' | ')} |`,
    `|${rows[0]!.map(() => '---').join('|')}|`,
    ...rows.slice(1).map((row) => `| ${row.map(esc).join(' | ')} |`),
  ].join('\n');
}
