// A restore checklist as the CLI prints it: one line per check (✓ i ? ! ✗) with the fix under it;
// an unknown (?) says "unknown" in words too, so it never reads as passed.
import { visibleText as v } from '../../engine/name-text.ts';
import type { CheckItem } from '../../engine/model/restore.ts';

const MARK: Record<CheckItem['status'], string> = { ok: '✓', info: 'i', unknown: '?', warning: '!', blocker: '✗' };

export function describeItems(items: CheckItem[]): string {
  return items.map((item) => `  ${MARK[item.status]} ${v(item.title)}${unknownNote(item)}: ${v(item.detail)}${item.fix ? `\n      → ${v(item.fix)}` : ''}`).join('\n');
}

/** " (unknown)" after an unknown item whose title does not already say so. */
function unknownNote(item: CheckItem): string {
  return item.status === 'unknown' && !/\bunknown\b/i.test(item.title) ? ' (unknown)' : '';
}
