import { Link } from 'react-router'
import { paths } from '@/config/paths'
import { formatMoney } from '@/lib/money'
import type { Account } from '../api/bank'

export function AccountList({ accounts }: { accounts: Account[] }) {
  if (accounts.length === 0) return <p>You have no bank account yet: open one below.</p>
  return (
    <ul className="cards">
      {accounts.map((account) => (
        <li key={account.id} className="card">
          <h2 className="card-title">
            <Link to={paths.statement(account.id)}>
              Account <span className="nowrap">{account.number}</span>
            </Link>
          </h2>
          <p className="amount">{formatMoney(account.balance, account.currency)}</p>
          <p className="muted">
            {account.currency} · {account.status}
          </p>
        </li>
      ))}
    </ul>
  )
}
