// Screens still to come: each says plainly what it will do, so the navigation is honest.
import type { ScreenId } from '../../../main/ipc/contract.ts';
import { Icon, type IconName } from '../../components/icons.tsx';
import { ScreenHeader } from '../../components/screen-header.tsx';

interface Plan {
  title: string;
  subtitle: string;
  icon: IconName;
  text: string;
  points: string[];
}

export const PLANS: Record<Exclude<ScreenId, 'connections' | 'backups' | 'restore' | 'drills' | 'settings'>, Plan> = {
  schedules: {
    title: 'Schedules',
    subtitle: 'Backups and drills that run on their own.',
    icon: 'calendar',
    text:
      'Here you will schedule backups and drills per connection, set how long archives are kept (a retention policy that never deletes the last good backup), and choose when you are notified: on failure only, or after every run.',
    points: ['Daily, weekly or custom schedules', 'Retention that keeps the last good backup', 'Desktop notifications on failure'],
  },
  activity: {
    title: 'Activity',
    subtitle: 'Everything Lifeboat did, and how it went.',
    icon: 'activity',
    text:
      'Here you will find a log of everything that ran — backups, verifications, restores, drills and scheduled jobs — with start and end times, the connection involved, the outcome, and the details you need when something went wrong. Connection strings are redacted; passwords never appear.',
    points: ['Every run with its outcome and duration', 'Filter by connection or kind', 'Errors with the fix, not a stack trace'],
  },
};

export function PlaceholderScreen({ id }: { id: keyof typeof PLANS }) {
  const plan = PLANS[id];
  return (
    <div className="screen">
      <ScreenHeader title={plan.title} subtitle={plan.subtitle} />
      <section className="card coming" aria-label={`What ${plan.title} will do`}>
        <div className="coming-icon">
          <Icon name={plan.icon} />
        </div>
        <div className="coming-body">
          <span className="badge">Coming next</span>
          <p className="coming-text">{plan.text}</p>
          <ul className="coming-points">
            {plan.points.map((point) => (
              <li key={point}>
                <Icon name="check" />
                {point}
              </li>
            ))}
          </ul>
        </div>
      </section>
    </div>
  );
}
