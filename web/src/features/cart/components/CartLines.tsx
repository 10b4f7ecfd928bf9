import { useState } from 'react'
import { Link } from 'react-router'
import { paths } from '@/config/paths'
import { formatMoney } from '@/lib/money'
import { cart, MAX_LINE_QUANTITY, type CartLine } from '../store'

export function CartLines({ lines }: { lines: CartLine[] }) {
  return (
    <ul className="rows">
      {lines.map((line) => (
        <li key={line.productId} className="row cart-line">
          <Link to={paths.product(line.productId)}>{line.name}</Link>
          <span>{formatMoney(line.unitPrice, line.currency)}</span>
          <QuantityField line={line} />
          <span className="amount">{formatMoney(line.unitPrice * line.quantity, line.currency)}</span>
          <button type="button" className="button button-secondary" onClick={() => cart.remove(line.productId)}>
            Remove<span className="visually-hidden"> {line.name}</span>
          </button>
        </li>
      ))}
    </ul>
  )
}

/** The quantity of a line: what is typed is kept while typing, and the cart takes every valid number. */
function QuantityField({ line }: { line: CartLine }) {
  const [draft, setDraft] = useState<string | null>(null)
  return (
    <label className="field-inline">
      <span>Quantity</span>
      <input
        type="number"
        min={1}
        max={MAX_LINE_QUANTITY}
        value={draft ?? line.quantity}
        aria-label={`Quantity of ${line.name}`}
        onChange={(event) => {
          setDraft(event.target.value)
          const quantity = event.target.valueAsNumber
          if (Number.isInteger(quantity) && quantity > 0) cart.setQuantity(line.productId, quantity)
        }}
        onBlur={() => setDraft(null)}
      />
    </label>
  )
}
