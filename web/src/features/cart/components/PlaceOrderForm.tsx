import type { FormEvent } from 'react'
import { useNavigate } from 'react-router'
import { ErrorNotice, fieldErrors } from '@/components/ErrorNotice'
import { Field } from '@/components/Field'
import { SubmitButton } from '@/components/SubmitButton'
import { paths } from '@/config/paths'
import { usePlaceOrder } from '@/features/orders'
import { cart, type CartLine } from '../store'

const FIELDS = ['shipping_address', 'note'] as const

export function PlaceOrderForm({ lines }: { lines: CartLine[] }) {
  const place = usePlaceOrder()
  const navigate = useNavigate()

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    place.mutate(
      {
        items: lines.map((line) => ({ product_id: line.productId, quantity: line.quantity })),
        shipping_address: String(form.get('shipping_address')),
        note: String(form.get('note')),
      },
      {
        onSuccess: (order) => {
          cart.clear()
          void navigate(paths.order(order.id))
        },
      },
    )
  }

  return (
    <form className="panel" aria-labelledby="checkout-heading" onSubmit={submit}>
      <h2 id="checkout-heading">Checkout</h2>
      <Field label="Shipping address" errors={fieldErrors(place.error, 'shipping_address')}>
        {(control) => <textarea {...control} name="shipping_address" rows={3} autoComplete="street-address" />}
      </Field>
      <Field label="Note (optional)" errors={fieldErrors(place.error, 'note')}>
        {(control) => <input {...control} name="note" maxLength={500} />}
      </Field>
      <p className="muted">Prices are confirmed by the catalog when the order is placed; you pay on the next page.</p>
      <ErrorNotice error={place.error} fieldNames={FIELDS} />
      <SubmitButton pending={place.isPending} pendingLabel="Placing the order…">
        Place order
      </SubmitButton>
    </form>
  )
}
