import type { ConnectionReport, PgTool, TunnelReport } from '../../../main/ipc/contract.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { formatBytes, hostPort, TOOL_SOURCE_LABEL } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { isHostKeyError } from '../../stores/host-key-store.ts';
import type { TestState } from '../../stores/profiles-store.ts';

/** onHostKey: reopens the host-key dialog for a test refused over an SSH host key. */
export function TestResult({ state, headingId, onHostKey }: { state: TestState; headingId: string; onHostKey?: () => void }) {
  if (state.status === 'running') {
    return (
      <div className="test-result test-running" aria-busy="true">
        <span className="spinner" aria-hidden="true" />
        <p>Testing connection…</p>
      </div>
    );
  }
  const { result } = state;
  const time = new Date(state.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  if (!result.ok) {
    return (
      <section className="test-result test-failed" aria-labelledby={headingId}>
        <h3 id={headingId} className="sr-only">Connection test result</h3>
        <ErrorMessage error={result.error} title={`Connection failed · ${time}`} />
        {onHostKey && isHostKeyError(result.error) ? (
          <button type="button" className="btn btn-sm host-key-review" onClick={onHostKey}>
            <Icon name="shield" />
            Review the host key…
          </button>
        ) : null}
      </section>
    );
  }
  return <TestSuccess report={result.report} time={time} headingId={headingId} />;
}

function TestSuccess({ report, time, headingId }: { report: ConnectionReport; time: string; headingId: string }) {
  return (
    <section className="test-result test-ok" aria-labelledby={headingId}>
      <h3 id={headingId} className="test-ok-title">
        <Icon name="check" />
        Connected
        <span className="test-time">tested at {time}</span>
      </h3>
      <dl className="facts">
        <div className="fact">
          <dt>Server</dt>
          <dd>PostgreSQL {report.serverVersion}</dd>
        </div>
        <div className="fact">
          <dt>Database size</dt>
          <dd>{formatBytes(report.databaseSizeBytes)}</dd>
        </div>
        <div className="fact">
          <dt>SSL</dt>
          <dd>{report.ssl ? 'Yes, encrypted' : 'No'}</dd>
        </div>
        <div className="fact">
          <dt>Latency</dt>
          <dd>{report.latencyMs} ms</dd>
        </div>
      </dl>
      {report.tunnel ? <TunnelRoute tunnel={report.tunnel} /> : null}
      <h4 className="tools-heading">Tools Lifeboat will use</h4>
      <ul className="tool-list">
        <ToolLine tool={report.tools.pg_dump} />
        <ToolLine tool={report.tools.pg_restore} />
      </ul>
    </section>
  );
}

function ToolLine({ tool }: { tool: PgTool }) {
  return (
    <li className="tool-line">
      <span className="tool-name">
        {tool.name} {tool.version}
      </span>
      <span className="badge">{TOOL_SOURCE_LABEL[tool.source]}</span>
      <code className="tool-path" title={tool.path}>
        {tool.path}
      </code>
    </li>
  );
}

/** "via bastion:22 (35 ms) → db:5432": each SSH hop with the time its login took, then the database as the last hop sees it. */
function TunnelRoute({ tunnel }: { tunnel: TunnelReport }) {
  return (
    <p className="tunnel-route">
      <Icon name="route" />
      <span className="tunnel-route-label">Through SSH</span>
      <span className="tunnel-route-path">
        via{' '}
        {tunnel.hops.map((hop) => (
          <span key={`${hop.user}@${hop.host}:${hop.port}`} className="tunnel-hop" title={`logged in as ${hop.user}`}>
            <code>{hostPort(hop.host, hop.port)}</code> ({hop.latencyMs} ms) →{' '}
          </span>
        ))}
        <code>{tunnel.target}</code>
      </span>
    </p>
  );
}
