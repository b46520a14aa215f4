import type { RunEvent } from '../runs/event-store.js';
import { StatusBadge } from './components.js';

/** What the run went through, oldest first: each status it entered and each cancel asked for, from its run events. */
export function RunTimeline({ events }: { events: readonly RunEvent[] }): JSX.Element {
  return (
    <section aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Timeline</h2>
      <ol class="timeline" id="run-timeline">
        {events.map((event) => (
          <li>
            <time datetime={event.createdAt.toISOString()} safe>
              {`${event.createdAt.toISOString().slice(0, 19).replace('T', ' ')} UTC`}
            </time>{' '}
            <StatusBadge status={event.action} /> <span safe>{event.description}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}
