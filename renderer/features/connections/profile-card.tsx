import { useRef, useState } from 'react';
import type { ProfileSummary } from '../../../main/ipc/contract.ts';
import { ConfirmBar } from '../../components/confirm-bar.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { focusTargetAfter, moveFocusTo } from '../../components/focus-after-removal.ts';
import { connectionLabel, PASSWORD_STORAGE_LABEL, scopeSummary, sshRouteLabel } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { useHostKeyStore } from '../../stores/host-key-store.ts';
import { useProfilesStore } from '../../stores/profiles-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';
import type { ErrorInfo } from '../../../main/ipc/contract.ts';
import { TestResult } from './test-result.tsx';

export function ProfileCard({ profile }: { profile: ProfileSummary }) {
  const testState = useProfilesStore((s) => s.tests[profile.id]);
  const test = useProfilesStore((s) => s.test);
  const duplicate = useProfilesStore((s) => s.duplicate);
  const remove = useProfilesStore((s) => s.remove);
  const openEditor = useProfilesStore((s) => s.openEditor);
  const announce = useAppStore((s) => s.announce);
  const askHostKey = useHostKeyStore((s) => s.ask);
  const [confirming, setConfirming] = useState(false);
  const [actionError, setActionError] = useState<ErrorInfo | null>(null);
  const deleteRef = useRef<HTMLButtonElement>(null);
  const nameId = `profile-${profile.id}-name`;
  const running = testState?.status === 'running';

  const runTest = async () => {
    setActionError(null);
    const result = await test(profile.id);
    announce(
      result.ok
        ? `Connection to ${profile.name} succeeded: PostgreSQL ${result.report.serverVersion}.`
        : `Connection to ${profile.name} failed: ${result.error.message}`,
    );
    // An unknown SSH host key is a question for the user, not just a failure.
    if (!result.ok) askHostKey(profile, result.error);
  };
  const failedTest = testState?.status === 'done' && !testState.result.ok ? testState.result.error : null;

  const runDuplicate = async () => {
    setActionError(null);
    try {
      const copy = await duplicate(profile.id);
      announce(`Duplicated ${profile.name} as ${copy.name}.`);
    } catch (error) {
      setActionError(toErrorInfo(error));
    }
  };

  const runDelete = async () => {
    const next = focusTargetAfter(deleteRef.current?.closest('li'), 'h2');
    try {
      await remove(profile.id);
      announce(`Deleted ${profile.name}.`);
      moveFocusTo(next, () => document.querySelector<HTMLElement>('main h1'));
    } catch (error) {
      setConfirming(false);
      setActionError(toErrorInfo(error));
    }
  };

  return (
    <li className="profile-item">
      <article className="card profile-card" aria-labelledby={nameId}>
        <div className="profile-row">
          <span className={`color-dot color-${profile.color}`} role="img" aria-label={`Colour label ${profile.color}`} />
          <div className="profile-text">
            <h2 id={nameId} className="profile-name">
              {profile.name}
            </h2>
            <p className="profile-conn">{connectionLabel(profile)}</p>
            <ul className="profile-meta" aria-label="Details">
              <li>
                <Icon name="shield" />
                <span>
                  SSL <strong>{profile.sslmode}</strong>
                </span>
              </li>
              {profile.scope ? (
                // Which databases a backup takes; the connection line above names the one connected to first.
                <li>
                  <Icon name="database" />
                  <span>
                    Backs up <strong>{scopeSummary(profile.scope)}</strong>
                  </span>
                </li>
              ) : null}
              {profile.ssh ? (
                <li>
                  <Icon name="route" />
                  <span>
                    SSH via <strong>{sshRouteLabel(profile.ssh)}</strong>
                  </span>
                </li>
              ) : null}
              <li className={profile.passwordStorage === 'session' ? 'meta-warn' : undefined}>
                <Icon name="key" />
                <span>
                  Password: <strong>{PASSWORD_STORAGE_LABEL[profile.passwordStorage]}</strong>
                </span>
              </li>
            </ul>
          </div>
          <div className="profile-actions">
            <button type="button" className="btn btn-test" onClick={runTest} disabled={running} aria-busy={running}>
              <Icon name="plug" />
              Test connection
            </button>
            <button type="button" className="btn btn-icon" aria-label="Edit" title="Edit" onClick={() => openEditor({ mode: 'edit', id: profile.id })}>
              <Icon name="pencil" />
            </button>
            <button type="button" className="btn btn-icon" aria-label="Duplicate" title="Duplicate" onClick={runDuplicate}>
              <Icon name="copy" />
            </button>
            <button
              type="button"
              className="btn btn-icon btn-icon-danger"
              aria-label="Delete"
              title="Delete"
              ref={deleteRef}
              onClick={() => setConfirming(true)}
              aria-expanded={confirming}
            >
              <Icon name="trash" />
            </button>
          </div>
        </div>

        {confirming ? (
          <ConfirmBar
            labelId={`${nameId}-confirm`}
            message={(
              <>
                Delete <strong>{profile.name}</strong>? Its saved password is removed too. Backups already made are not touched.
              </>
            )}
            confirmLabel="Delete connection"
            onConfirm={runDelete}
            onCancel={() => {
              setConfirming(false);
              deleteRef.current?.focus();
            }}
          />
        ) : null}

        {actionError ? <ErrorMessage error={actionError} /> : null}
        {testState ? <TestResult state={testState} headingId={`${nameId}-result`} onHostKey={failedTest ? () => askHostKey(profile, failedTest) : undefined} /> : null}
      </article>
    </li>
  );
}
