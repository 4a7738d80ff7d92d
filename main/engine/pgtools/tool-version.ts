import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface ParsedVersion {
  version: string;
  major: number;
}

/** "pg_dump (PostgreSQL) 18.6" → 18.6; also handles "15.18 (Debian 15.18-0+deb12u1)" and "9.6.24". */
export function parseToolVersion(output: string): ParsedVersion | null {
  const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(output);
  if (!match) return null;
  const first = Number(match[1]);
  const version = [match[1], match[2], match[3]].filter((part) => part !== undefined).join('.');
  const major = first >= 10 ? first : Number(`${first}.${match[2] ?? 0}`);
  return { version, major };
}

export async function readToolVersion(toolPath: string): Promise<ParsedVersion | null> {
  try {
    const { stdout } = await execFileAsync(toolPath, ['--version'], { timeout: 5000, env: { ...process.env, LC_ALL: 'C' } });
    return parseToolVersion(stdout);
  } catch {
    return null;
  }
}

/** server_version_num 180004 → 18; 90624 → 9.6 */
export function serverMajorOf(versionNum: number): number {
  return versionNum >= 100000 ? Math.floor(versionNum / 10000) : Math.floor(versionNum / 10000) + (Math.floor(versionNum / 100) % 100) / 10;
}
