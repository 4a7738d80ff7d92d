// A retention policy and the plan it makes.
// Plain data, no behaviour: the model layer imports nothing but other model types.

export interface RetentionPolicy {
  keepLast: number;
  keepDaily: number;
  keepWeekly: number;
  keepMonthly: number;
  keepYearly: number;
  /** Never keep fewer than this many archives, whatever the rules say. */
  keepMinimum: number;
}

export interface RetentionDecision {
  path: string;
  createdAt: string;
  keep: boolean;
  reasons: string[];
}

export interface RetentionPlan {
  decisions: RetentionDecision[];
  /** Set when nothing may be deleted now, with the reason. */
  blocked: string | null;
}
