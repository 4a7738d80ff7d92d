// Menu events from main (File → New connection, View → <screen>); returns the unsubscribe.
import type { ScreenId } from '../../main/ipc/contract.ts';
import { api } from './unwrap.ts';

export function subscribeMenu(handlers: { navigate(screen: ScreenId): void; newProfile(): void }): () => void {
  const offs = [api().on.menuNavigate((screen) => handlers.navigate(screen)), api().on.menuNewProfile(() => handlers.newProfile())];
  return () => {
    for (const off of offs) off();
  };
}
