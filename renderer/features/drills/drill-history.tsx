// Every recorded drill, newest first, per connection if asked, with the recovery-time trend and the
// recovery target it is measured against.
import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import type { DrillRecord, ErrorInfo } from '../../../main/ipc/contract.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { formatDateTime, formatDuration } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { useDrillsStore } from '../../stores/drills-store.ts';
import { useProfilesStore } from '../../stores/profiles-store.ts';
import { useSettingsStore } from '../../stores/settings-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';
import { formatTarget, recoveryMs, targetSentence, TrendChart } from './trend-chart.tsx';
import { FilterSelect } from '../../components/filter-select.tsx';

/** The newest drills the chart shows (a time axis stays readable with this many points). */
const TREND_SIZE = 50;
/** The longest target the settings accept (MAX_RECOVERY_TARGET_SECONDS in the engine): 7 days. */
const MAX_TARGET_MINUTES = 7 * 24 * 60;

export function DrillHistory() {
  const history = useDrillsStore((s) => s.history);
  const loaded = useDrillsStore((s) => s.historyLoaded);
  const profile = useDrillsStore((s) => s.historyProfile);
  const hasProfiles = useDrillsStore((s) => s.historyProfiles.length > 0);
  const view = useDrillsStore((s) => s.view);
  const show = useDrillsStore((s) => s.show);
  const openReport = useDrillsStore((s) => s.openReport);
  const targetSeconds = useSettingsStore((s) => s.settings?.recoveryTargetSeconds ?? null);
  const loadSettings = useSettingsStore((s) => s.loadSettings);
  const colorOf = useProfileColors();
  const [error, setError] = useState<ErrorInfo | null>(null);
  const uid = useId();
  const trend = history.slice(0, TREND_SIZE).reverse();
  const shownId = view?.kind === 'record' ? view.record.id : null;

  useEffect(() => {
    void loadSettings();
  }, [loadSettings]);

  const open = async (record: DrillRecord) => {
    setError(null);
    try {
      await openReport(record.id);
    } catch (e) {
      setError(toErrorInfo(e));
    }
  };

  return (
    <section className="card drill-history" aria-labelledby={`${uid}-title`}>
      <div className="card-header">
        <h2 id={`${uid}-title`}>Drill history</h2>
        {hasProfiles ? <HistoryFilter /> : null}
      </div>

      {loaded && history.length === 0 ? (
        <div className="empty-state library-empty">
          <Icon name="flask" className="empty-icon" />
          <h3>{profile ? `No drills of ${profile} yet` : 'No drills yet'}</h3>
          <p>Each drill is recorded here with its verdict and measured recovery time, so you can see the trend and hand the evidence to an auditor.</p>
        </div>
      ) : null}

      {history.length ? (
        <>
          <RecoveryTarget drills={trend.filter((d) => !d.couldNotRun)} />
          <TrendChart drills={trend} targetSeconds={targetSeconds} colorOf={colorOf} />
          <div className="table-wrap">
            <table className="table history-table">
              <caption className="sr-only">Drills, newest first, with their verdict, recovery time (restore and verify; the scratch server's start apart) and checks</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Source</th>
                  <th scope="col">Verdict</th>
                  <th scope="col" className="num">
                    Recovery time
                  </th>
                  <th scope="col" className="num">
                    Checks
                  </th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {history.map((record) => (
                  <HistoryRow key={record.id} record={record} chosen={record.id === shownId} onShow={() => show({ kind: 'record', record })} onOpen={() => void open(record)} />
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
      {error ? <ErrorMessage error={error} title="Could not open the report" /> : null}
    </section>
  );
}

/** Which connection's drills the history, the chart and the target's verdict show. */
function HistoryFilter() {
  const profile = useDrillsStore((s) => s.historyProfile);
  const profiles = useDrillsStore((s) => s.historyProfiles);
  const setHistoryProfile = useDrillsStore((s) => s.setHistoryProfile);
  return <FilterSelect label="Connection" hiddenLabel className="history-filter" all="All connections" value={profile} choices={profiles} onChange={setHistoryProfile} />;
}

/** One drill: when, source, verdict, recovery time (restore + verify, the scratch start under it), checks. */
function HistoryRow({ record, chosen, onShow, onOpen }: { record: DrillRecord; chosen: boolean; onShow(): void; onOpen(): void }) {
  const matched = record.checks.filter((c) => c.passed).length;
  return (
    <tr className={chosen ? 'row-chosen' : undefined}>
      <th scope="row">{formatDateTime(record.startedAt)}</th>
      <td>
        {record.source.profile ?? '—'} <span className="muted">· {record.source.database ?? '—'}</span>
      </td>
      <td>
        {record.passed ? (
          <span className="badge badge-ok">
            <Icon name="check" />
            passed
          </span>
        ) : (
          <span className="badge badge-err">
            <Icon name="alert" />
            failed
          </span>
        )}
      </td>
      <td className="num">
        {record.couldNotRun ? '—' : formatDuration(recoveryMs(record))}
        {record.couldNotRun ? null : (
          <>
            {' '}
            <span className="cell-note">+ {formatDuration(record.timings.startMs)} scratch start</span>
          </>
        )}
      </td>
      <td className="num">
        {matched}/{record.checks.length}
      </td>
      <td className="row-actions">
        <button type="button" className="btn btn-sm" onClick={onShow} aria-label={`Show the drill of ${formatDateTime(record.startedAt)}`}>
          Show
        </button>
        <button type="button" className="btn btn-icon" onClick={onOpen} aria-label={`Open the report of ${formatDateTime(record.startedAt)}`} title="Open report">
          <Icon name="external" />
        </button>
      </td>
    </tr>
  );
}

/** A connection name's colour (from the profiles), for the chart's lines. */
function useProfileColors() {
  const profiles = useProfilesStore((s) => s.profiles);
  return useCallback((name: string) => profiles.find((p) => p.name === name)?.color, [profiles]);
}

/** Minutes as typed ("7.5") from seconds, without trailing zeros. */
function minutesText(seconds: number | null): string {
  return seconds === null ? '' : String(Number((seconds / 60).toFixed(2)));
}

/**
 * "Recovery target: [ ] minutes": the recovery-time objective, saved in the settings (empty clears
 * it), and whether the charted drills met it.
 */
function RecoveryTarget({ drills }: { drills: DrillRecord[] }) {
  const saved = useSettingsStore((s) => s.settings?.recoveryTargetSeconds ?? null);
  const loaded = useSettingsStore((s) => s.settings !== null);
  const update = useSettingsStore((s) => s.update);
  const announce = useAppStore((s) => s.announce);
  const [typed, setTyped] = useState<string | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const uid = useId();
  const value = typed ?? minutesText(saved);
  const changed = typed !== null && typed.trim() !== minutesText(saved);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const text = value.trim();
    const minutes = Number(text);
    if (text !== '' && !(Number.isFinite(minutes) && minutes > 0 && minutes <= MAX_TARGET_MINUTES)) {
      setError({ code: 'INVALID_INPUT', message: `"${text}" is not a number of minutes between 0 and ${MAX_TARGET_MINUTES}.`, fix: 'Type the minutes a restore and its verification may take, e.g. 15, or leave it empty for no target.' });
      return;
    }
    try {
      const next = await update({ recoveryTargetSeconds: text === '' ? null : Math.max(1, Math.round(minutes * 60)) });
      setTyped(null);
      announce(next.recoveryTargetSeconds === null ? 'Recovery target cleared.' : `Recovery target set to ${formatTarget(next.recoveryTargetSeconds)}.`);
    } catch (e) {
      setError(toErrorInfo(e));
    }
  };

  const status = saved === null ? 'No target: set the time a recovery may take to see which drills met it.' : targetSentence(drills, saved);
  const over = saved !== null && drills.some((d) => recoveryMs(d) > saved * 1000);
  return (
    // noValidate: the browser's own bubble would stop a submit before our message could explain it.
    <form className="recovery-target" onSubmit={(e) => void save(e)} noValidate>
      <label htmlFor={`${uid}-target`}>Recovery target</label>
      <input id={`${uid}-target`} className="target-input" type="number" min="0" step="any" inputMode="decimal" placeholder="none" value={value} onChange={(e) => setTyped(e.target.value)} disabled={!loaded} aria-describedby={`${uid}-unit ${uid}-status`} />
      <span id={`${uid}-unit`} className="unit">
        minutes
      </span>
      <button type="submit" className="btn btn-sm" disabled={!changed}>
        Save
      </button>
      <p id={`${uid}-status`} className={over ? 'target-status text-err' : 'target-status'}>
        {status}
      </p>
      {error ? <ErrorMessage error={error} title="The recovery target was not saved" /> : null}
    </form>
  );
}
