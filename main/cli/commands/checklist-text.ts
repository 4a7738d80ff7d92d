// A restore checklist as the CLI prints it: one line per check (✓ i ! ✗) with the fix under it.
import { visibleText as v } from '../../engine/name-text.ts';
import type { CheckItem } from '../../engine/model/restore.ts';

const MARK: Record<CheckItem['status'], string> = { ok: '✓', info: 'i', warning: '!', blocker: '✗' };

export function describeItems(items: CheckItem[]): string {
  return items.map((item) => `  ${MARK[item.status]} ${v(item.title)}: ${v(item.detail)}${item.fix ? `\n      → ${v(item.fix)}` : ''}`).join('\n');
}
