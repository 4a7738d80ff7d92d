import type { PasswordStorage, ProfileFields, ToolSource } from '../../main/ipc/contract.ts';

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

export function connectionLabel(p: Pick<ProfileFields, 'user' | 'host' | 'port' | 'database'>): string {
  const host = p.host.includes(':') && !p.host.startsWith('[') ? `[${p.host}]` : p.host;
  return `${p.user}@${host}:${p.port}/${p.database}`;
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
