import { useEffect, useRef } from 'react';
import { HostKeyDialog } from './components/host-key-dialog.tsx';
import { Sidebar } from './components/sidebar.tsx';
import { ActivityScreen } from './features/activity/activity-screen.tsx';
import { BackupsScreen } from './features/backups/backups-screen.tsx';
import { ConnectionsScreen } from './features/connections/connections-screen.tsx';
import { DrillsScreen } from './features/drills/drills-screen.tsx';
import { OverviewScreen } from './features/overview/overview-screen.tsx';
import { WindowFileDrop } from './features/restore/file-drop.tsx';
import { RestoreScreen } from './features/restore/restore-screen.tsx';
import { SchedulesScreen } from './features/schedules/schedules-screen.tsx';
import { SettingsScreen } from './features/settings/settings-screen.tsx';
import { useAppStore } from './stores/app-store.ts';
import { listenToMain } from './stores/window-events.ts';
import { useShortcuts } from './components/use-shortcuts.ts';

export function App() {
  const screen = useAppStore((s) => s.screen);
  const announcement = useAppStore((s) => s.announcement);
  const loadInfo = useAppStore((s) => s.loadInfo);
  const mainRef = useRef<HTMLElement>(null);
  const shownScreen = useRef(screen);
  useShortcuts();

  useEffect(() => {
    void loadInfo();
    return listenToMain();
  }, [loadInfo]);

  useEffect(() => {
    document.title = `${screenTitle(screen)} · Lifeboat`;
    // A new screen: focus its heading, so a screen reader says where you are and Tab starts from the top.
    if (shownScreen.current === screen) return;
    shownScreen.current = screen;
    const heading = mainRef.current?.querySelector<HTMLElement>('h1');
    if (heading) {
      heading.tabIndex = -1;
      heading.focus();
    }
  }, [screen]);

  return (
    <>
      <a
        className="skip-link"
        href="#main"
        onClick={(event) => {
          event.preventDefault();
          mainRef.current?.focus();
        }}
      >
        Skip to content
      </a>
      <div className="app">
        <Sidebar />
        <main id="main" ref={mainRef} tabIndex={-1} className="content">
          {screen === 'overview' ? (
            <OverviewScreen />
          ) : screen === 'connections' ? (
            <ConnectionsScreen />
          ) : screen === 'backups' ? (
            <BackupsScreen />
          ) : screen === 'restore' ? (
            <RestoreScreen />
          ) : screen === 'drills' ? (
            <DrillsScreen />
          ) : screen === 'schedules' ? (
            <SchedulesScreen />
          ) : screen === 'activity' ? (
            <ActivityScreen />
          ) : (
            <SettingsScreen />
          )}
        </main>
      </div>
      <WindowFileDrop />
      <HostKeyDialog />
      <div className="sr-only" role="status" aria-live="polite" aria-atomic="true">
        {announcement.text ? <span key={announcement.seq}>{announcement.text}</span> : null}
      </div>
    </>
  );
}

function screenTitle(screen: string): string {
  return screen.charAt(0).toUpperCase() + screen.slice(1);
}
