// The PostgreSQL client tools Lifeboat found (tools report, connection test).
// Plain data, no behaviour: the model layer imports nothing but other model types.

export type PgToolName = 'pg_dump' | 'pg_restore' | 'pg_dumpall' | 'psql';

export type ToolSource = 'bundled' | 'configured' | 'override' | 'path' | 'well-known';

export interface PgTool {
  name: PgToolName;
  path: string;
  version: string;
  major: number;
  source: ToolSource;
}

export interface ToolsReport {
  tools: PgTool[];
  /** The tool each name resolves to when no server version is known (the newest one). */
  chosen: Partial<Record<PgToolName, PgTool>>;
  bundledDir: string | null;
  overrideDir: string | null;
}
