import { visibleText } from '../../main/engine/name-text.ts';
import type { ArchiveSidecar, DatabaseScope, PasswordStorage, ProfileFields, SshSettings, ToolSource } from '../../main/ipc/contract.ts';

type EncryptionKind = ArchiveSidecar['encryption']['kind'];

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${bytes} bytes`;
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/** host:port, with an IPv6 address in brackets so the port stays readable. */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

/** A profile's SSH hops in connection order: "jump:22 → user@bastion:22". */
export function sshRouteLabel(ssh: SshSettings): string {
  return [...ssh.jumps.map((hop) => hostPort(hop.host, hop.port)), `${ssh.user}@${hostPort(ssh.host, ssh.port)}`].join(' → ');
}

export function connectionLabel(p: Pick<ProfileFields, 'user' | 'host' | 'port' | 'database'>): string {
  return `${p.user}@${hostPort(p.host, p.port)}/${p.database}`;
}

export const PASSWORD_STORAGE_LABEL: Record<PasswordStorage, string> = {
  keychain: 'keychain',
  session: 'this session only',
  none: 'none',
};

export const TOOL_SOURCE_LABEL: Record<ToolSource, string> = {
  bundled: 'bundled with Lifeboat',
  configured: 'configured folder',
  override: 'LIFEBOAT_PG_BIN override',
  path: 'PATH',
  'well-known': 'system install',
};

/** "12 Mar 2026, 14:03" in the user's locale and time zone. */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatDate(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleDateString([], { dateStyle: 'medium' });
}

/** 850 ms, 12.4 s, 3 min 05 s, 1 h 02 min */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min ${String(s).padStart(2, '0')} s`;
}

/** A time left, rounded the way people say it. */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return 'estimating…';
  if (seconds < 5) return 'a few seconds';
  if (seconds < 60) return `about ${Math.round(seconds / 5) * 5} s`;
  if (seconds < 3600) return `about ${Math.round(seconds / 60)} min`;
  return `about ${(seconds / 3600).toFixed(1)} h`;
}

export function formatRate(bytesPerSecond: number | null): string {
  return bytesPerSecond === null || !Number.isFinite(bytesPerSecond) ? '—' : `${formatBytes(Math.max(bytesPerSecond, 0))}/s`;
}

export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : n.toLocaleString();
}

export const ENCRYPTION_LABEL: Record<EncryptionKind, string> = {
  x25519: 'Encrypted · age key',
  passphrase: 'Encrypted · passphrase',
  none: 'Unencrypted',
};

/** The last path segment, for either separator (the renderer has no node:path). */
export function baseName(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}

/** "in 5 hours", "3 minutes ago", "yesterday": how far a time is from now, the way people say it. */
export function formatRelative(iso: string, now: number = Date.now()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const seconds = (date.getTime() - now) / 1000;
  const abs = Math.abs(seconds);
  const rtf = new Intl.RelativeTimeFormat([], { numeric: 'auto' });
  if (abs < 45) return seconds >= 0 ? 'in a few seconds' : 'just now';
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return rtf.format(Math.round(seconds / 3600), 'hour');
  if (abs < 30 * 86_400) return rtf.format(Math.round(seconds / 86_400), 'day');
  if (abs < 365 * 86_400) return rtf.format(Math.round(seconds / (30 * 86_400)), 'month');
  return rtf.format(Math.round(seconds / (365 * 86_400)), 'year');
}

/** "Mon 12 Mar 2026, 01:00" in a given IANA time zone (the schedule's). */
export function formatInZone(iso: string, timeZone: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  try {
    return date.toLocaleString([], { timeZone, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
  } catch {
    return formatDateTime(iso);
  }
}

/** The computer's IANA time zone. */
export function computerTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** A whole-server profile's scope in a few words, e.g. "All databases except test_*" or "3 databases: a, b, c". */
export function scopeSummary(scope: DatabaseScope): string {
  if (scope.kind === 'list') {
    const names = scope.databases.map(visibleText);
    const shown = names.length > 3 ? `${names.slice(0, 3).join(', ')}, …` : names.join(', ');
    return `${names.length} database${names.length === 1 ? '' : 's'}: ${shown}`;
  }
  const also = [scope.includeMaintenance ? 'postgres' : '', scope.includeTemplates ? 'templates' : ''].filter(Boolean);
  const except = scope.exclude.length ? ` except ${scope.exclude.map(visibleText).join(', ')}` : '';
  return `All databases${except}${also.length ? ` (with ${also.join(' and ')})` : ''}`;
}
