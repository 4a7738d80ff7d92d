// When a row the user just deleted disappears, focus must not fall back to the page's start: it goes
// to the row that took its place (the next, else the previous), or else to a fallback such as the
// list's "Add" button, so a keyboard or screen-reader user stays where they were.

/** Where focus should go once `row` (a list item) is removed: read it before the removal. */
export function focusTargetAfter(row: Element | null | undefined, selector: string): HTMLElement | null {
  const neighbour = row?.nextElementSibling ?? row?.previousElementSibling ?? null;
  return neighbour?.querySelector<HTMLElement>(selector) ?? null;
}

export function moveFocusTo(target: HTMLElement | null, fallback: () => HTMLElement | null): void {
  const element = target?.isConnected ? target : fallback();
  if (!element) return;
  // A heading is not focusable by itself; -1 makes it a focus target without adding a Tab stop.
  if (element.tabIndex < 0 && !element.hasAttribute('tabindex')) element.tabIndex = -1;
  element.focus();
}
