// "Test connection" inside the add/edit form: the fields as typed, before saving (profiles:test-input).
// When editing, an empty password field means the saved password: main uses it and never sends it
// back. A successful test also brings the server's databases, offered next to the Database field. An
// unknown SSH host key opens the window-wide host-key dialog, whose "Trust and connect" tests again.
import { useEffect, useId, useRef, useState } from 'react';
import { visibleText } from '../../../main/engine/name-text.ts';
import type { ConnectionTestResult, ErrorInfo, ProfileInput, ProfileSummary } from '../../../main/ipc/contract.ts';
import { useHostKeyStore } from '../../stores/host-key-store.ts';
import { useProfilesStore, type TestState } from '../../stores/profiles-store.ts';
import { TestResult } from './test-result.tsx';

export interface FormTest {
  state: TestState | null;
  /** The server's databases from the last successful test of this host, port and user; null otherwise. */
  databasesFor(server: { host: string; port: string | number; user: string }): string[] | null;
  /** Tests `input` (the form as the engine's input); `name` labels the host-key dialog. */
  run(input: ProfileInput, name: string): Promise<void>;
  /** Shows a problem found before asking main (a missing host, say) as the test's result. */
  fail(error: ErrorInfo): void;
  /** Reopens the host-key dialog for the last test, when it was refused over a host key. */
  reviewHostKey(): void;
}

export function useFormTest(profile: ProfileSummary | undefined): FormTest {
  const testInput = useProfilesStore((s) => s.testInput);
  const askHostKey = useHostKeyStore((s) => s.ask);
  const [state, setState] = useState<TestState | null>(null);
  // With the server they came from: after the host, port or user changed they are another server's.
  const [databases, setDatabases] = useState<{ server: string; names: string[] } | null>(null);
  const last = useRef<{ name: string; error: ErrorInfo; retry: (keys: string[]) => Promise<ConnectionTestResult> } | null>(null);
  const who = (name: string) => ({ id: profile?.id ?? 'new-connection', name: name || 'the new connection' });

  const run = async (input: ProfileInput, name: string) => {
    // The backup folder and the canaries play no part in connecting: they are checked when saving.
    const { backupFolder: _folder, canaryQueries: _canaries, ...connection } = input;
    const attempt = async (acceptHostKeys: string[]) => {
      setState({ status: 'running' });
      const result = await testInput(connection, profile?.id ?? null, acceptHostKeys);
      setState({ status: 'done', result, at: Date.now() });
      if (result.ok) setDatabases({ server: serverKey(input), names: result.report.databases ?? [] });
      last.current = result.ok ? null : { name, error: result.error, retry: attempt };
      return result;
    };
    const result = await attempt([]);
    if (!result.ok) askHostKey(who(name), result.error, { retry: attempt });
  };

  return {
    state,
    databasesFor: (server) => (databases && databases.server === serverKey(server) ? databases.names : null),
    run,
    fail: (error) => setState({ status: 'done', result: { ok: false, error }, at: Date.now() }),
    reviewHostKey: () => {
      if (last.current) askHostKey(who(last.current.name), last.current.error, { retry: last.current.retry });
    },
  };
}

function serverKey(server: { host: string; port: string | number; user: string }): string {
  return JSON.stringify([server.host.trim(), String(server.port).trim(), server.user.trim()]);
}

export function FormTestResult({ test }: { test: FormTest }) {
  const uid = useId();
  const ref = useRef<HTMLDivElement>(null);
  // The button is in the footer and the result below the last field: bring it into view.
  useEffect(() => {
    // A block, not an expression: Chromium's scrollIntoView may return a promise, which React would take for a clean-up.
    ref.current?.scrollIntoView({ block: 'nearest' });
  }, [test.state]);
  if (!test.state) return null;
  return (
    <div ref={ref} className="form-test-result" aria-live="polite">
      <TestResult state={test.state} headingId={`${uid}-result`} onHostKey={test.reviewHostKey} />
    </div>
  );
}

/** The server's databases, offered under the Database field after a successful test; the field stays typeable. */
export function DatabasePicker({ databases, onPick }: { databases: string[]; onPick: (database: string) => void }) {
  const uid = useId();
  if (databases.length === 0) return <p className="hint">The server lists no database this user may connect to.</p>;
  return (
    <div className="database-picker">
      <label htmlFor={`${uid}-pick`} className="sr-only">
        Databases on the server
      </label>
      <select id={`${uid}-pick`} value="" onChange={(e) => e.target.value && onPick(e.target.value)}>
        <option value="" disabled>
          Pick from the server…
        </option>
        {databases.map((database) => (
          <option key={database} value={database}>
            {visibleText(database)}
          </option>
        ))}
      </select>
    </div>
  );
}
