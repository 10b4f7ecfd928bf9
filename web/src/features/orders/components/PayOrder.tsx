import { useState, type FormEvent } from 'react'
import { Link } from 'react-router'
import { ErrorNotice } from '@/components/ErrorNotice'
import { Field } from '@/components/Field'
import { SubmitButton } from '@/components/SubmitButton'
import { paths } from '@/config/paths'
import { accountLabel, useAccounts } from '@/features/bank'
import { formatMoney } from '@/lib/money'
import type { Order } from '../api/orders'
import { paymentOutcome, usePayOrder, type PaymentOutcome } from '../api/payment'

export function PayOrder({ order }: { order: Order }) {
  const accounts = useAccounts()
  const pay = usePayOrder(order.id)
  const [accountId, setAccountId] = useState('')
  const usable = (accounts.data?.results ?? []).filter(
    (account) => account.currency === order.currency && account.status === 'active',
  )
  const chosen = accountId || usable[0]?.id || ''
  const outcome = pay.isIdle || pay.isPending ? null : paymentOutcome(pay.data, pay.error)
  const total = formatMoney(order.total, order.currency)

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    pay.mutate({ account_id: chosen })
  }

  // Paid (here or elsewhere): only the outcome of this page's payment is left to say.
  if (order.status !== 'pending') return outcome?.kind === 'paid' ? <PaymentMessage outcome={outcome} /> : null

  return (
    <section className="panel" aria-labelledby="pay-heading">
      <h2 id="pay-heading">Pay {total}</h2>
      {accounts.isPending ? null : usable.length === 0 ? (
        <p>
          You have no active {order.currency} account to pay from. <Link to={paths.accounts}>Open one</Link>
        </p>
      ) : (
        <form onSubmit={submit}>
          <Field label="Pay from">
            {(control) => (
              <select {...control} value={chosen} onChange={(event) => setAccountId(event.target.value)}>
                {usable.map((account) => (
                  <option key={account.id} value={account.id}>
                    {accountLabel(account)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <SubmitButton pending={pay.isPending} pendingLabel="Paying…">
            Pay {total}
          </SubmitButton>
        </form>
      )}
      {outcome && <PaymentMessage outcome={outcome} onRetry={() => pay.mutate({ account_id: chosen })} />}
      {!outcome && order.payment.in_progress && <InFlight />}
      {!outcome && order.payment.error && (
        <p className="notice">
          The last payment was declined: {order.payment.error} You can pay again, from this or another account.
        </p>
      )}
    </section>
  )
}

function InFlight() {
  return (
    <p role="status">
      A payment for this order is under way. Its outcome shows here once the bank has answered; paying again from the
      same account finishes it, never charges twice.
    </p>
  )
}

function PaymentMessage({ outcome, onRetry }: { outcome: PaymentOutcome; onRetry?: () => void }) {
  switch (outcome.kind) {
    case 'paid':
      return (
        <p className="notice notice-success" role="status">
          Payment received. Thank you!
        </p>
      )
    case 'in-flight':
      return <InFlight />
    case 'declined':
      return (
        <div className="notice notice-error" role="alert">
          <p>
            <strong>Payment declined:</strong> {outcome.message}
          </p>
          <p className="muted">
            Reason code: <code>{outcome.code}</code>
            {outcome.requestId && (
              <>
                {' '}
                · Reference for support: <code>{outcome.requestId}</code>
              </>
            )}
          </p>
          <p>Nothing was charged. Pay from another account, or add money to this one and pay again.</p>
        </div>
      )
    case 'unanswered':
      return (
        <div className="notice notice-warning" role="alert">
          <p>{outcome.error.message}</p>
          <p>The payment may still go through. Retrying finishes this same payment: you are never charged twice.</p>
          {outcome.error.requestId && (
            <p className="request-id">
              Reference for support: <code>{outcome.error.requestId}</code>
            </p>
          )}
          <button type="button" className="button" onClick={onRetry}>
            Retry payment
          </button>
        </div>
      )
    case 'failed':
      return <ErrorNotice error={outcome.error} />
  }
}
