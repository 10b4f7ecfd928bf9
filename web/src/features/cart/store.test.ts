import { describe, expect, it } from 'vitest'
import { cartTotals, createCartStore } from './store'

const BOOK = { productId: 'p-1', name: 'Book', unitPrice: 4999, currency: 'EUR' }
const BEANS = { productId: 'p-2', name: 'Beans', unitPrice: 990, currency: 'EUR' }

describe('the cart', () => {
  it('adds, merges and keeps quantities between 1 and 100', () => {
    const cart = createCartStore(window.localStorage)
    cart.add(BOOK, 2)
    cart.add(BOOK, 3)
    cart.add(BEANS, 500)
    expect(cart.getLines()).toEqual([
      { ...BOOK, quantity: 5 },
      { ...BEANS, quantity: 100 },
    ])
    cart.setQuantity('p-2', 0)
    expect(cart.getLines()[1]?.quantity).toBe(1)
  })

  it('is kept in localStorage, so a new tab or a restarted browser finds it', () => {
    createCartStore(window.localStorage).add(BOOK, 1)
    expect(createCartStore(window.localStorage).getLines()).toEqual([{ ...BOOK, quantity: 1 }])
  })

  it('ignores stored lines that are not lines', () => {
    window.localStorage.setItem('shop.cart', JSON.stringify([{ productId: 'x' }, { ...BOOK, quantity: 1 }]))
    expect(createCartStore(window.localStorage).getLines()).toEqual([{ ...BOOK, quantity: 1 }])
    window.localStorage.setItem('shop.cart', '{not json')
    expect(createCartStore(window.localStorage).getLines()).toEqual([])
  })

  it('follows changes made in another tab', () => {
    const cart = createCartStore(window.localStorage)
    let notified = 0
    cart.subscribe(() => (notified += 1))
    window.localStorage.setItem('shop.cart', JSON.stringify([{ ...BEANS, quantity: 2 }]))
    window.dispatchEvent(new StorageEvent('storage', { key: 'shop.cart' }))
    expect(notified).toBe(1)
    expect(cart.getLines()).toEqual([{ ...BEANS, quantity: 2 }])
  })

  it('removes lines, empties, and totals per currency', () => {
    const cart = createCartStore(window.localStorage)
    cart.add(BOOK, 2)
    cart.add({ ...BEANS, currency: 'USD' }, 1)
    expect(cartTotals(cart.getLines())).toEqual([
      { currency: 'EUR', total: 9998 },
      { currency: 'USD', total: 990 },
    ])
    cart.remove('p-1')
    expect(cart.getLines()).toHaveLength(1)
    cart.clear()
    expect(window.localStorage.getItem('shop.cart')).toBeNull()
  })
})
