import { useEffect, useId, useState } from 'react';
import type { ErrorInfo, PgTool, ToolsReport } from '../../../main/ipc/contract.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { TOOL_SOURCE_LABEL } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { ScreenHeader } from '../../components/screen-header.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { useSettingsStore } from '../../stores/settings-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';
import { OffsiteSettings } from '../offsite/offsite-settings.tsx';
import { BackgroundSettings } from './background-settings.tsx';
import { EncryptionSettings } from './encryption-settings.tsx';

export function SettingsScreen() {
  const info = useAppStore((s) => s.info);
  const infoError = useAppStore((s) => s.infoError);
  const tools = useSettingsStore((s) => s.tools);
  const error = useSettingsStore((s) => s.error);
  const load = useSettingsStore((s) => s.load);

  useEffect(() => {
    void load();
  }, [load]);

  return (
    <div className="screen">
      <ScreenHeader title="Settings" subtitle="This installation, how backups are encrypted and made, where copies go offsite, and the PostgreSQL client tools Lifeboat runs." />

      <section className="card" aria-labelledby="settings-app">
        <h2 id="settings-app" className="card-title">
          Application
        </h2>
        {infoError ? <ErrorMessage error={infoError} /> : null}
        {info ? (
          <dl className="kv">
            <div>
              <dt>Version</dt>
              <dd>Lifeboat {info.version}</dd>
            </div>
            <div>
              <dt>Platform</dt>
              <dd>{info.platform}</dd>
            </div>
            <div>
              <dt>Data directory</dt>
              <dd>
                <code>{info.dataDir}</code>
              </dd>
            </div>
            <div>
              <dt>Passwords</dt>
              <dd className={info.keychain.available ? 'status-ok' : 'status-warn'}>
                <Icon name={info.keychain.available ? 'check' : 'alert'} />
                <span>{info.keychain.message}</span>
              </dd>
            </div>
          </dl>
        ) : null}
      </section>

      <EncryptionSettings />

      <OffsiteSettings />

      <BackgroundSettings />

      <section className="card" aria-labelledby="settings-tools">
        <h2 id="settings-tools" className="card-title">
          PostgreSQL tools
        </h2>
        <p className="card-intro">
          For each server Lifeboat picks the newest tool whose major version is at least the server’s. Order of search: bundled, the folder below,
          PATH, then the usual install folders.
        </p>
        {error ? <ErrorMessage error={error} title="Could not read the tools" /> : null}
        {tools ? <ToolsTable report={tools} /> : <p className="muted">Looking for tools…</p>}
        <ToolsFolderForm />
      </section>
    </div>
  );
}

function ToolsTable({ report }: { report: ToolsReport }) {
  const isChosen = (tool: PgTool) => {
    const chosen = report.chosen[tool.name];
    return chosen !== undefined && chosen.path === tool.path;
  };
  if (report.tools.length === 0) {
    return (
      <div className="callout callout-warn">
        <Icon name="alert" className="callout-icon" />
        <div className="callout-body">
          <p className="callout-title">No PostgreSQL client tools found</p>
          <p>Install the PostgreSQL client tools, or set their folder below.</p>
        </div>
      </div>
    );
  }
  return (
    <>
      {report.overrideDir ? (
        <p className="callout callout-info">
          Only <code>{report.overrideDir}</code> is searched (set by LIFEBOAT_PG_BIN or --pg-bin).
        </p>
      ) : null}
      <div className="table-wrap">
        <table className="table">
          <caption className="sr-only">PostgreSQL client tools found; the chosen one of each name is marked.</caption>
          <thead>
            <tr>
              <th scope="col">Tool</th>
              <th scope="col">Version</th>
              <th scope="col">Source</th>
              <th scope="col">Path</th>
            </tr>
          </thead>
          <tbody>
            {report.tools.map((tool) => (
              <tr key={`${tool.name}:${tool.path}`} className={isChosen(tool) ? 'row-chosen' : undefined}>
                <th scope="row">
                  {tool.name}
                  {isChosen(tool) ? <span className="badge badge-ok">chosen</span> : null}
                </th>
                <td>{tool.version}</td>
                <td>{TOOL_SOURCE_LABEL[tool.source]}</td>
                <td>
                  <code>{tool.path}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

/**
 * The folder of PostgreSQL tools Lifeboat may run: chosen in the system's folder dialog (the page
 * cannot name one itself), then confirmed in a question from the main process.
 */
function ToolsFolderForm() {
  const settings = useSettingsStore((s) => s.settings);
  const setToolsDir = useSettingsStore((s) => s.setToolsDir);
  const chooseFolder = useAppStore((s) => s.chooseFolder);
  const announce = useAppStore((s) => s.announce);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const uid = useId();

  const apply = async (dir: string | null) => {
    setError(null);
    try {
      await setToolsDir(dir);
      announce(dir ? `Tools folder set to ${dir}.` : 'Tools folder cleared.');
    } catch (e) {
      setError(toErrorInfo(e));
    }
  };
  const choose = async () => {
    try {
      const dir = await chooseFolder('Choose the folder with pg_dump and pg_restore');
      if (dir) await apply(dir);
    } catch (e) {
      setError(toErrorInfo(e));
    }
  };

  return (
    <div className="tools-folder" role="group" aria-labelledby={`${uid}-label`}>
      <p id={`${uid}-label`} className="field-label">
        PostgreSQL tools folder
      </p>
      <div className="input-row">
        <output className="folder-path" aria-describedby={`${uid}-hint`}>
          {settings?.pgToolsDir ? <code>{settings.pgToolsDir}</code> : <span className="muted">None: Lifeboat’s bundled tools</span>}
        </output>
        <button type="button" className="btn btn-primary" onClick={() => void choose()}>
          Choose folder…
        </button>
        <button type="button" className="btn" onClick={() => void apply(null)} disabled={!settings?.pgToolsDir}>
          Clear
        </button>
      </div>
      <p id={`${uid}-hint`} className="hint">
        A folder holding pg_dump and pg_restore, searched after Lifeboat’s bundled tools. Lifeboat asks you to confirm: the tools there will run with your rights.
      </p>
      {error ? <ErrorMessage error={error} title="Could not set the folder" /> : null}
    </div>
  );
}
