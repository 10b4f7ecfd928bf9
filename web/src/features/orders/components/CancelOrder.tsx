import type { FormEvent } from 'react'
import { ErrorNotice, fieldErrors } from '@/components/ErrorNotice'
import { Field } from '@/components/Field'
import { SubmitButton } from '@/components/SubmitButton'
import { useCancelOrder, type Order } from '../api/orders'

export function CancelOrder({ order }: { order: Order }) {
  const cancel = useCancelOrder(order.id)
  const refund = order.status === 'paid'

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    cancel.mutate({ reason: String(new FormData(event.currentTarget).get('reason')) })
  }

  return (
    <form className="panel" aria-labelledby="cancel-heading" onSubmit={submit}>
      <h2 id="cancel-heading">{refund ? 'Cancel and refund' : 'Cancel the order'}</h2>
      <p>{refund ? 'The full amount goes back to the account you paid from.' : 'The items go back on the shelf.'}</p>
      <Field label="Reason (optional)" errors={fieldErrors(cancel.error, 'reason')}>
        {(control) => <input {...control} name="reason" maxLength={200} />}
      </Field>
      <ErrorNotice error={cancel.error} fieldNames={['reason']} />
      <SubmitButton pending={cancel.isPending} pendingLabel="Cancelling…" className="button button-danger">
        {refund ? 'Cancel and refund' : 'Cancel order'}
      </SubmitButton>
    </form>
  )
}
