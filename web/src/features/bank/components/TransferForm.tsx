import { useState, type FormEvent } from 'react'
import { ErrorNotice, fieldErrors } from '@/components/ErrorNotice'
import { Field } from '@/components/Field'
import { SubmitButton } from '@/components/SubmitButton'
import { mayRetrySameAttempt } from '@/lib/api/idempotency'
import { formatMoney, parseMoney } from '@/lib/money'
import { useTransfer, type Account } from '../api/bank'
import { accountLabel } from './accountLabel'

const ELSEWHERE = 'elsewhere'
const FIELDS = ['source_account_id', 'target_account_id', 'amount', 'description'] as const

export function TransferForm({ accounts }: { accounts: Account[] }) {
  const transfer = useTransfer()
  const [target, setTarget] = useState(accounts[1]?.id ?? ELSEWHERE)
  const [amountError, setAmountError] = useState<string[]>()
  const active = accounts.filter((account) => account.status === 'active')

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    const source = accounts.find((account) => account.id === form.get('source'))
    if (!source) return
    const amount = parseMoney(String(form.get('amount')), source.currency)
    if (amount === null || amount <= 0) {
      setAmountError([`Enter an amount in ${source.currency}, such as 12.50.`])
      return
    }
    setAmountError(undefined)
    const targetId = target === ELSEWHERE ? String(form.get('target_account_id')).trim() : target
    transfer.mutate({
      source_account_id: source.id,
      target_account_id: targetId,
      amount,
      description: String(form.get('description')),
    })
  }

  const done = transfer.data
  const sourcePosting = done?.postings.find((posting) => posting.amount < 0)
  const sourceAccount = accounts.find((account) => account.id === sourcePosting?.account_id)
  return (
    <form className="panel" onSubmit={submit} aria-label="Transfer money">
      <Field label="From" errors={fieldErrors(transfer.error, 'source_account_id')}>
        {(control) => (
          <select {...control} name="source" required>
            {active.map((account) => (
              <option key={account.id} value={account.id}>
                {accountLabel(account)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="To" errors={target === ELSEWHERE ? undefined : fieldErrors(transfer.error, 'target_account_id')}>
        {(control) => (
          <select {...control} value={target} onChange={(event) => setTarget(event.target.value)}>
            {accounts.map((account) => (
              <option key={account.id} value={account.id}>
                My account {account.number}
              </option>
            ))}
            <option value={ELSEWHERE}>Someone else's account…</option>
          </select>
        )}
      </Field>
      {target === ELSEWHERE && (
        <Field
          label="Recipient's account ID"
          hint="The recipient finds it on their account's statement page."
          errors={fieldErrors(transfer.error, 'target_account_id')}
        >
          {(control) => <input {...control} name="target_account_id" required autoComplete="off" spellCheck={false} />}
        </Field>
      )}
      <Field label="Amount" errors={amountError ?? fieldErrors(transfer.error, 'amount')}>
        {(control) => <input {...control} name="amount" inputMode="decimal" required autoComplete="off" />}
      </Field>
      <Field label="Description (optional)" errors={fieldErrors(transfer.error, 'description')}>
        {(control) => <input {...control} name="description" maxLength={200} />}
      </Field>
      <ErrorNotice error={transfer.error} fieldNames={FIELDS} />
      <SubmitButton pending={transfer.isPending} pendingLabel="Transferring…">
        Transfer
      </SubmitButton>
      {mayRetrySameAttempt(transfer.error) && (
        <p>No answer yet: pressing Transfer again with the same details finishes this transfer, never a second one.</p>
      )}
      <p role="status">
        {done &&
          sourcePosting &&
          sourceAccount &&
          `Transferred ${formatMoney(-sourcePosting.amount, sourceAccount.currency)}. New balance of ${sourceAccount.number}: ${formatMoney(sourcePosting.balance_after, sourceAccount.currency)}.`}
      </p>
    </form>
  )
}
