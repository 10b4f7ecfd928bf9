import { DateTime } from '@/components/DateTime'
import type { Order } from '../api/orders'

export function StatusHistory({ history }: { history: Order['history'] }) {
  return (
    <section aria-labelledby="history-heading">
      <h2 id="history-heading">History</h2>
      <ol className="timeline">
        {history.map((change) => (
          <li key={`${change.created_at}-${change.to_status}`}>
            <DateTime value={change.created_at} />{' '}
            <strong>{change.from_status ? `${change.from_status} → ${change.to_status}` : change.to_status}</strong>
            {change.reason && <span>: {change.reason}</span>} <span className="muted">({change.actor})</span>
          </li>
        ))}
      </ol>
    </section>
  )
}
