// The one byte formatter of the engine and the CLI.
import { describe, expect, it } from 'vitest';
import { formatBytes } from '../../main/engine/format-bytes.ts';
import { formatBytes as cliFormatBytes } from '../../main/cli/cli-output.ts';

describe('formatBytes', () => {
  it('writes decimal sizes with two or three significant digits', () => {
    const cases: [number, string][] = [[0, '0 B'], [999, '999 B'], [1000, '1.0 kB'], [2_500_000, '2.5 MB'], [5_000_000, '5.0 MB'], [9_949_999, '9.9 MB'], [9_960_000, '10 MB'], [120_000_000, '120 MB'], [1_500_000_000, '1.5 GB'], [3e15, '3.0 PB'], [-5, '0 B']];
    expect(cases.map(([bytes]) => formatBytes(bytes))).toEqual(cases.map(([, text]) => text));
  });

  it('writes limits set in powers of two in binary units', () => {
    expect([16 * 1024 * 1024, 1536, 32 * 1024 ** 3].map((b) => formatBytes(b, { binary: true }))).toEqual(['16 MiB', '1.5 KiB', '32 GiB']);
  });

  it('is the same function the CLI prints with', () => {
    expect(cliFormatBytes).toBe(formatBytes);
  });
});
