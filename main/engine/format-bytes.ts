// One way to write a size for people, in the engine and the CLI: decimal units (as disks and
// networks are sold), two or three significant digits — "512 B", "5.0 MB", "200 MB", "1.5 GB".
// `binary`: limits Lifeboat sets in powers of two read as such ("16 MiB").

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(bytes: number, options: { binary?: boolean } = {}): string {
  const step = options.binary ? 1024 : 1000;
  const units = options.binary ? BINARY : DECIMAL;
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= step && unit < units.length - 1) {
    value /= step;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  // 9.96 would round to "10.0": one decimal only while it still shows below 10.
  const text = value < 9.95 ? value.toFixed(1) : value.toFixed(0);
  return `${text} ${units[unit]}`;
}
