import { RateMeter, type JobContext } from '../jobs/job.ts';
import type { LiveTable } from './snapshot-session.ts';

/**
 * The table pg_dump --verbose says it is starting to copy (`pg_dump: dumping contents of table
 * "public.orders"`), as `schema.name`; null for any other line.
 */
export function dumpLineTable(line: string): string | null {
  const match = /dumping contents of table "(.+)"$/.exec(line);
  return match ? match[1]! : null;
}

/** pg_dump's verbose chatter (consumed as progress); its error, warning, detail and hint lines are not. */
export function isDumpVerboseLine(line: string): boolean {
  return /^pg_dump: (?!error|warning|detail|hint)/.test(line);
}

/** Percent from table sizes: finished tables, plus the live COPY of the current one (PG 14+). */
export class DumpProgress {
  readonly #byName = new Map<string, LiveTable>();
  readonly #byOid = new Map<number, LiveTable>();
  readonly #ctx: JobContext;
  readonly #rate = new RateMeter();
  /** Tables pg_dump has started, in order; known before the table list may be. */
  readonly #started: string[] = [];
  #tables: LiveTable[] | null = null;
  #totalBytes = 1;
  /** Weight of the tables pg_dump has finished (all started but the last). */
  #doneBytes = 0;
  #currentFraction = 0;
  #fileBytes = 0;
  #lastFraction = 0;
  #startedAt = performance.now();
  #lastReport = 0;
  /** 'Dumping' until pg_dump's output has ended; then the phase the backup reported (ended()). */
  #phase = 'Dumping';

  constructor(ctx: JobContext) {
    this.#ctx = ctx;
  }

  setTables(tables: LiveTable[]): void {
    this.#tables = tables;
    for (const table of tables) {
      this.#byName.set(`${table.schema}.${table.name}`, table);
      this.#byOid.set(table.oid, table);
    }
    // Every table weighs at least one page, so schemas of empty tables still move the bar.
    this.#totalBytes = tables.reduce((sum, t) => sum + weight(t), 0) || 1;
    for (const name of this.#started.slice(0, -1)) this.#doneBytes += this.#weightOf(name);
    this.#emit(true);
  }

  /** One stderr line of pg_dump --verbose; true when it was progress (not an error line to keep). */
  onDumpLine(line: string): boolean {
    const table = dumpLineTable(line);
    if (table === null) return isDumpVerboseLine(line);
    const previous = this.#started.at(-1);
    if (previous !== undefined && this.#tables) this.#doneBytes += this.#weightOf(previous);
    this.#started.push(table);
    this.#currentFraction = 0;
    this.#emit(true);
    return true;
  }

  onCopyProgress(copy: { relid: number; tuples: number; bytes: number } | null): void {
    const current = this.#current();
    if (!copy || !current || this.#byOid.get(copy.relid) !== current) return;
    const fraction = current.estimatedRows > 0 ? copy.tuples / current.estimatedRows : current.estimatedBytes > 0 ? copy.bytes / current.estimatedBytes : 0;
    this.#currentFraction = Math.min(Math.max(fraction, 0), 0.98);
    this.#emit(true);
  }

  onBytes(fileBytes: number): void {
    this.#fileBytes = fileBytes;
    this.#emit(this.#phase !== 'Dumping'); // the last few counts after the dump are all shown
  }

  /** pg_dump's output has ended: the archive's last bytes are reported in `phase`, never as 'Dumping' again. */
  ended(phase: string): void {
    this.#phase = phase;
    this.#lastFraction = 0.99;
    this.#ctx.report(this.#afterDump());
  }

  /** After the dump: no table, speed or table count of the dump's on screen any more. */
  #afterDump() {
    return { phase: this.#phase, fraction: this.#lastFraction, bytes: this.#fileBytes, bytesPerSecond: null, etaSeconds: 0, currentItem: null, message: null };
  }

  #weightOf(name: string): number {
    const table = this.#byName.get(name);
    return table ? weight(table) : 0;
  }

  #current(): LiveTable | null {
    const name = this.#started.at(-1);
    return name === undefined ? null : (this.#byName.get(name) ?? null);
  }

  #emit(force: boolean): void {
    if (!this.#tables) return;
    const now = performance.now();
    if (!force && now - this.#lastReport < 250) return;
    this.#lastReport = now;
    const current = this.#current();
    const raw = (this.#doneBytes + (current ? weight(current) * this.#currentFraction : 0)) / this.#totalBytes;
    // Never backwards, never 100 % before the archive is complete.
    this.#lastFraction = Math.max(this.#lastFraction, Math.min(raw, 0.98));
    if (this.#phase !== 'Dumping') return this.#ctx.report(this.#afterDump());
    const elapsed = (now - this.#startedAt) / 1000;
    const eta = this.#lastFraction > 0.02 && elapsed > 1 ? Math.round((elapsed * (1 - this.#lastFraction)) / this.#lastFraction) : null;
    const count = this.#tables.length;
    this.#ctx.report({
      phase: 'Dumping',
      fraction: this.#lastFraction,
      bytes: this.#fileBytes,
      bytesPerSecond: this.#rate.sample(this.#fileBytes, now),
      etaSeconds: eta,
      currentItem: this.#started.at(-1) ?? null,
      message: `${count} ${count === 1 ? 'table' : 'tables'}`,
    });
  }
}

/** A table's share of the bar: its size, but at least one page. */
export const tableWeight = (table: LiveTable): number => Math.max(table.estimatedBytes, 8192);
const weight = tableWeight;
