import { useState, type FormEvent } from 'react'
import { ErrorNotice, fieldErrors } from '@/components/ErrorNotice'
import { Field } from '@/components/Field'
import { SubmitButton } from '@/components/SubmitButton'
import { accountLabel, useAccount, type Account } from '@/features/bank'
import { formatMoney, parseMoney } from '@/lib/money'
import { useCashMovement, type CashMovement } from '../api/staff'

const FIELDS = ['account_id', 'amount', 'description'] as const

export function CashForm({ account: chosen }: { account: Account }) {
  const account = useAccount(chosen.id).data ?? chosen
  const movement = useCashMovement()
  const [amountError, setAmountError] = useState<string[]>()

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    const amount = parseMoney(String(form.get('amount')), account.currency)
    if (amount === null || amount <= 0) {
      setAmountError([`Enter an amount in ${account.currency}, such as 100.00.`])
      return
    }
    setAmountError(undefined)
    movement.mutate({
      kind: form.get('kind') as CashMovement['kind'],
      account_id: account.id,
      amount,
      description: String(form.get('description')),
    })
  }

  const posting = movement.data?.postings.find((candidate) => candidate.account_id === account.id)
  return (
    <form className="panel" aria-labelledby="cash-heading" onSubmit={submit}>
      <h2 id="cash-heading">Account {accountLabel(account)}</h2>
      <fieldset>
        <legend>Operation</legend>
        <label className="checkbox">
          <input type="radio" name="kind" value="deposit" defaultChecked /> Deposit
        </label>
        <label className="checkbox">
          <input type="radio" name="kind" value="withdrawal" /> Withdrawal
        </label>
      </fieldset>
      <Field label={`Amount (${account.currency})`} errors={amountError ?? fieldErrors(movement.error, 'amount')}>
        {(control) => <input {...control} name="amount" inputMode="decimal" required autoComplete="off" />}
      </Field>
      <Field label="Description (optional)" errors={fieldErrors(movement.error, 'description')}>
        {(control) => <input {...control} name="description" maxLength={200} />}
      </Field>
      <ErrorNotice error={movement.error} fieldNames={FIELDS} />
      <SubmitButton pending={movement.isPending} pendingLabel="Posting…">
        Post
      </SubmitButton>
      <p role="status">
        {posting &&
          `Done: ${movement.data?.kind} of ${formatMoney(Math.abs(posting.amount), account.currency)}. New balance: ${formatMoney(posting.balance_after, account.currency)}.`}
      </p>
    </form>
  )
}
