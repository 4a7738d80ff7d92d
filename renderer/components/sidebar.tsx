import { useRef, type KeyboardEvent } from 'react';
import type { ScreenId } from '../../main/ipc/contract.ts';
import { SCREENS, useAppStore } from '../stores/app-store.ts';
import { Icon, type IconName } from './icons.tsx';
import { SidebarJobs } from './sidebar-jobs.tsx';

const ICONS: Record<ScreenId, IconName> = {
  overview: 'shield',
  connections: 'database',
  backups: 'archive',
  restore: 'restore',
  drills: 'flask',
  schedules: 'calendar',
  activity: 'activity',
  settings: 'settings',
};

export function Sidebar() {
  const screen = useAppStore((s) => s.screen);
  const navigate = useAppStore((s) => s.navigate);
  const info = useAppStore((s) => s.info);
  const listRef = useRef<HTMLUListElement>(null);

  // Up/Down/Home/End move between items; Tab still leaves the list as usual.
  const onKeyDown = (event: KeyboardEvent<HTMLUListElement>) => {
    const buttons = Array.from(listRef.current?.querySelectorAll<HTMLButtonElement>('button') ?? []);
    const index = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (index < 0) return;
    const last = buttons.length - 1;
    const next = { ArrowDown: index === last ? 0 : index + 1, ArrowUp: index === 0 ? last : index - 1, Home: 0, End: last }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    buttons[next]?.focus();
  };

  const main = SCREENS.filter((s) => s.id !== 'settings');
  const settings = SCREENS.find((s) => s.id === 'settings')!;

  const item = (s: (typeof SCREENS)[number]) => (
    <li key={s.id}>
      <button type="button" className="nav-item" aria-current={screen === s.id ? 'page' : undefined} onClick={() => navigate(s.id)}>
        <Icon name={ICONS[s.id]} />
        <span>{s.label}</span>
      </button>
    </li>
  );

  return (
    <aside className="sidebar">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">
          <Icon name="lifebuoy" />
        </span>
        <span className="brand-name">Lifeboat</span>
      </div>
      <nav aria-label="Main" className="nav">
        <ul ref={listRef} onKeyDown={onKeyDown} className="nav-list">
          {main.map(item)}
          <li className="nav-separator" aria-hidden="true" />
          {item(settings)}
        </ul>
      </nav>
      <div className="sidebar-footer">
        <SidebarJobs />
        {info ? (
          <p className={info.keychain.available ? 'keychain-pill' : 'keychain-pill keychain-pill-warn'}>
            <Icon name="key" />
            {info.keychain.available ? 'OS keychain' : 'Session-only passwords'}
          </p>
        ) : null}
        {info ? <p className="version">Version {info.version}</p> : null}
      </div>
    </aside>
  );
}
