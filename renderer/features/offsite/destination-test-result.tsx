// What a destination test proved, step by step (write, read back, delete), or where it stopped and how to fix it.
import { ErrorMessage } from '../../components/error-message.tsx';
import { Icon } from '../../components/icons.tsx';
import { isHostKeyError } from '../../stores/host-key-store.ts';
import type { DestinationTestState } from '../../stores/offsite-store.ts';

/** onHostKey: opens the host-key dialog again for a test stopped by an unknown SSH host key. */
export function DestinationTestResult({ state, name, onHostKey }: { state: DestinationTestState; name: string; onHostKey?: (() => void) | undefined }) {
  if (state.status === 'running') {
    return (
      <div className="test-result test-running destination-test" aria-busy="true">
        <span className="spinner" aria-hidden="true" />
        <p>Testing {name}…</p>
      </div>
    );
  }
  const { result } = state;
  const time = new Date(state.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return (
    <section className={result.ok ? 'test-result test-ok destination-test' : 'test-result test-failed destination-test'} aria-label={`Test of ${name}`}>
      {result.ok ? (
        <p className="test-ok-title">
          <Icon name="check" />
          {name} works
          <span className="test-time">
            tested at {time} · {result.durationMs} ms
          </span>
        </p>
      ) : null}
      {result.checks.length ? (
        <ul className="check-steps" aria-label="Checks">
          {result.checks.map((check) => (
            <li key={check}>
              <Icon name="check" />
              <span>{check}</span>
            </li>
          ))}
        </ul>
      ) : null}
      {result.error ? <ErrorMessage error={result.error} title={`The test of ${name} failed · ${time}`} /> : null}
      {result.error && onHostKey && isHostKeyError(result.error) ? (
        <button type="button" className="btn btn-sm host-key-review" onClick={onHostKey}>
          <Icon name="shield" />
          Review the host key…
        </button>
      ) : null}
    </section>
  );
}
