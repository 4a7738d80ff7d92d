// Plain data about an archive that crosses the engine's boundary and is shared by capabilities
// (the backup records it, the drill compares against it). The model layer imports nothing but
// other model types.

/** Schema objects a restore must bring back (extension members excluded). */
export interface ObjectCounts {
  tables: number;
  views: number;
  materializedViews: number;
  sequences: number;
  indexes: number;
  functions: number;
}
