// The demo database's state.
// Plain data, no behaviour: the model layer imports nothing but other model types.
import type { ProfileSummary } from './profile.ts';

export interface DemoStatus {
  exists: boolean;
  running: boolean;
  profile: ProfileSummary | null;
}
