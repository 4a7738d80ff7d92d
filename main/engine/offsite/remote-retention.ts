// Retention per destination (e.g. local: 7 daily; S3: 7 daily, 4 weekly, 12 monthly), with the same
// rules as the local library (retention/retention-policy.ts) and the same distrust: only archives
// whose remote sidecar carries this installation's tag are counted or deleted — a bucket shared by a
// fleet holds other computers' backups, and anyone with write access can upload a sidecar. Never
// the newest copy this computer verified there; nothing while the latest upload there failed;
// nothing local, ever. An object still under Object Lock is kept and reported "kept until <date>".
import { sidecarTagVerifies, type LibraryKey } from '../archive/sidecar-tag.ts';
import { SIDECAR_SUFFIX } from '../archive/archive-format.ts';
import type { ActivityLog } from '../activity/activity-log.ts';
import type { RemoteArchive } from '../model/offsite.ts';
import type { RetentionPlan, RetentionPolicy } from '../model/retention.ts';
import { planRetention, validateRetention } from '../retention/retention-policy.ts';
import { JsonFileStore } from '../settings/json-file-store.ts';
import type { CopyRecords } from './copy-records.ts';
import type { ConnectedDestination, DestinationService } from './destination-service.ts';
import { listRemoteArchives } from './remote-library.ts';

export interface RemotePruneResult extends RetentionPlan {
  destination: string;
  deleted: string[];
  /** Archives the policy would delete that Object Lock still protects: name → retain-until date. */
  lockedUntil: Record<string, string>;
}

export class RemoteRetention {
  readonly #destinations: DestinationService;
  readonly #records: CopyRecords;
  readonly #libraryKey: LibraryKey;
  readonly #timeZone: () => string;
  readonly #activity: Pick<ActivityLog, 'add'> | null;
  readonly #policies: JsonFileStore<{ policies: Record<string, RetentionPolicy> }>;

  constructor(deps: { dataDir: string; destinations: DestinationService; records: CopyRecords; libraryKey: LibraryKey; timeZone: () => string; activity?: Pick<ActivityLog, 'add'> }) {
    this.#destinations = deps.destinations;
    this.#records = deps.records;
    this.#libraryKey = deps.libraryKey;
    this.#timeZone = deps.timeZone;
    this.#activity = deps.activity ?? null;
    this.#policies = new JsonFileStore(deps.dataDir, 'destination-retention', { policies: {} as Record<string, RetentionPolicy> });
  }

  /** The destination's policy; null = keep every copy there (the default: a destination is never pruned unless asked). */
  policy(destination: string): RetentionPolicy | null {
    return this.#policies.get('policies')[this.#destinations.find(destination).id] ?? null;
  }

  setPolicy(destination: string, policy: RetentionPolicy | null): RetentionPolicy | null {
    const { id } = this.#destinations.find(destination);
    const { [id]: _old, ...others } = this.#policies.get('policies');
    this.#policies.set('policies', policy ? { ...others, [id]: checkedPolicy(policy) } : others);
    return policy;
  }

  /** What a prune of the destination would keep and delete, and why; nothing is deleted. */
  async preview(destination: string, signal?: AbortSignal): Promise<RetentionPlan & { archives: RemoteArchive[] }> {
    const connected = await this.#destinations.connect(this.#destinations.find(destination).id);
    try {
      return await this.#plan(connected, signal);
    } finally {
      await connected.store.close();
    }
  }

  /** The plan over one connection (a prune deletes over the same one: an SFTP route is logged in to once). */
  async #plan(connected: ConnectedDestination, signal?: AbortSignal): Promise<RetentionPlan & { archives: RemoteArchive[] }> {
    const found = connected.destination;
    const policy = this.policy(found.id);
    const archives = await listRemoteArchives(connected, () => null, signal);
    const key = await this.#libraryKey.get();
    const ours = archives.filter((a) => a.sidecar && !a.problem && !a.sidecar.partial && sidecarTagVerifies(a.sidecar, key));
    const verified = new Set((await this.#records.list(found.id)).filter((r) => r.state === 'verified').map((r) => r.archiveName));
    const plan = policy
      ? planRetention(ours.map((a) => ({ path: a.name, createdAt: a.sidecar!.createdAt, proven: verified.has(a.name), group: `${a.sidecar!.profile}\u0000${a.sidecar!.database}` })), policy, { timeZone: this.#timeZone(), latestRunsFailing: await this.#latestUploadFailed(found.id) })
      : { decisions: ours.map((a) => ({ path: a.name, createdAt: a.sidecar!.createdAt, keep: true, reasons: ['no retention policy for this destination: every copy is kept'] })), blocked: null };
    const others = archives.filter((a) => !ours.includes(a)).map((a) => ({ path: a.name, createdAt: a.sidecar?.createdAt ?? a.lastModified ?? '', keep: true, reasons: ['not recognised as this computer\'s backup (another computer\'s, or an unknown file): never counted or deleted'] }));
    return { ...plan, decisions: [...plan.decisions, ...others], archives };
  }

  /** Deletes what the destination's policy says; an object under Object Lock is kept and reported. */
  async prune(destination: string, options: { dryRun?: boolean; signal?: AbortSignal } = {}): Promise<RemotePruneResult> {
    const found = this.#destinations.find(destination);
    const connected = await this.#destinations.connect(found.id);
    const result: RemotePruneResult = { destination: found.name, decisions: [], blocked: null, deleted: [], lockedUntil: {} };
    try {
      const plan = await this.#plan(connected, options.signal);
      Object.assign(result, { decisions: plan.decisions, blocked: plan.blocked });
      if (plan.blocked || options.dryRun) return result;
      for (const decision of plan.decisions.filter((d) => !d.keep)) {
        const stat = await connected.store.stat(decision.path, options.signal);
        if (stat?.lockedUntil) {
          result.lockedUntil[decision.path] = stat.lockedUntil;
          decision.keep = true;
          decision.reasons = [`kept until ${stat.lockedUntil} (Object Lock)`];
          continue;
        }
        // The archive first: a sidecar left alone is ignored by listings, an archive without one is not.
        if (stat) await connected.store.remove(decision.path, options.signal);
        await connected.store.remove(`${decision.path}${SIDECAR_SUFFIX}`, options.signal);
        result.deleted.push(decision.path);
      }
    } finally {
      await connected.store.close();
    }
    await this.#activity?.add({ what: 'prune', title: `Pruned ${result.deleted.length} copy(ies) in ${found.name}`, profile: found.profileId, archive: null, result: 'ok', durationMs: null, error: null });
    return result;
  }

  /** "The latest upload failed" blocks pruning there: the copies it would delete may be the newest good ones. */
  async #latestUploadFailed(destinationId: string): Promise<string | null> {
    const records = await this.#records.list(destinationId);
    const latest = records.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))[0];
    return latest && latest.state === 'failed' ? `the latest copy to this destination, of ${latest.archiveName}, failed: ${latest.error?.message ?? 'unknown error'}` : null;
  }
}

function checkedPolicy(policy: RetentionPolicy): RetentionPolicy {
  const checked: RetentionPolicy = { keepLast: policy.keepLast ?? 0, keepDaily: policy.keepDaily ?? 0, keepWeekly: policy.keepWeekly ?? 0, keepMonthly: policy.keepMonthly ?? 0, keepYearly: policy.keepYearly ?? 0, keepMinimum: policy.keepMinimum ?? 0 };
  validateRetention(checked);
  if (checked.keepMinimum < 1) checked.keepMinimum = 1;
  return checked;
}
