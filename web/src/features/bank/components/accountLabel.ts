import { formatMoney } from '@/lib/money'
import type { Account } from '../api/bank'

/** How an account is named in a list to choose from: its number and balance. */
export function accountLabel(account: Account): string {
  return `${account.number} · ${formatMoney(account.balance, account.currency)}`
}
