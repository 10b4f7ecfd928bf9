import { DateTime } from '@/components/DateTime'
import { formatMoney } from '@/lib/money'
import type { components } from '@/lib/api/bank'

type StatementLine = components['schemas']['StatementLine']

export function StatementTable({ lines, currency }: { lines: StatementLine[]; currency: string }) {
  if (lines.length === 0) return <p>No transactions here.</p>
  return (
    <div className="table-scroll" role="region" aria-labelledby="statement-caption" tabIndex={0}>
      <table>
        <caption id="statement-caption">Transactions, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Date</th>
            <th scope="col">Description</th>
            <th scope="col">Kind</th>
            <th scope="col" className="numeric">
              Amount
            </th>
            <th scope="col" className="numeric">
              Balance
            </th>
          </tr>
        </thead>
        <tbody>
          {lines.map((line) => (
            <tr key={`${line.transaction_id}-${line.balance_after}`}>
              <td>
                <DateTime value={line.created_at} />
              </td>
              <td>{line.description || '—'}</td>
              <td>{line.kind}</td>
              <td className={`numeric ${line.amount < 0 ? 'debit' : 'credit'}`}>
                {line.amount > 0 ? '+' : ''}
                {formatMoney(line.amount, currency)}
              </td>
              <td className="numeric">{formatMoney(line.balance_after, currency)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
