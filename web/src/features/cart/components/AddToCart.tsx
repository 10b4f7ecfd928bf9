import { useId, useState, type FormEvent } from 'react'
import { cart, MAX_LINE_QUANTITY } from '../store'

interface AddToCartProps {
  product: { id: string; name: string; price: number; currency: string; stock: number }
  /** Offer a quantity field (the product page) or add one at a time (the catalog). */
  withQuantity?: boolean
}

export function AddToCart({ product, withQuantity = false }: AddToCartProps) {
  const quantityId = useId()
  const [added, setAdded] = useState<number | null>(null)
  const most = Math.min(product.stock, MAX_LINE_QUANTITY)

  function add(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const quantity = withQuantity ? Number(new FormData(event.currentTarget).get('quantity')) : 1
    cart.add(
      { productId: product.id, name: product.name, unitPrice: product.price, currency: product.currency },
      quantity,
    )
    setAdded(quantity)
  }

  if (most < 1) return null // the stock label says so
  return (
    <form className="add-to-cart" onSubmit={add}>
      {withQuantity && (
        <div className="field field-inline">
          <label htmlFor={quantityId}>Quantity</label>
          <input id={quantityId} name="quantity" type="number" min={1} max={most} defaultValue={1} required />
        </div>
      )}
      <button type="submit" className="button">
        Add to cart<span className="visually-hidden">: {product.name}</span>
      </button>
      <p role="status" className="muted">
        {added !== null && `Added ${added} to your cart.`}
      </p>
    </form>
  )
}
