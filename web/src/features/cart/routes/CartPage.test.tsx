import { screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { session } from '@/lib/api/client'
import { json, stubApi } from '@/testing/api'
import { fakeToken, renderWithProviders } from '@/testing/render'
import { cart } from '../store'
import CartPage from './CartPage'

const BOOK = { productId: 'p-1', name: 'Domain-Driven Design', unitPrice: 4999, currency: 'EUR' }

describe('CartPage', () => {
  it('asks a visitor to sign in before ordering', () => {
    cart.add(BOOK, 1)
    renderWithProviders(<CartPage />, { path: '/cart' })
    expect(screen.getByRole('link', { name: 'Sign in' })).toHaveAttribute('href', '/sign-in?next=%2Fcart')
    cart.clear()
  })

  it('places the order with an Idempotency-Key, empties the cart and opens the order', async () => {
    session.signIn({ access: fakeToken(), refresh: 'r1' })
    cart.add(BOOK, 2)
    const sent = stubApi({ 'POST /orders/api/orders/': () => json(201, { id: 'o-1', status: 'pending' }) })
    renderWithProviders(<CartPage />, { path: '/cart', elsewhere: ['/me/orders/:orderId'] })
    const user = userEvent.setup()

    expect(screen.getByText('Total: €99.98')).toBeInTheDocument()
    await user.clear(screen.getByRole('spinbutton', { name: 'Quantity of Domain-Driven Design' }))
    await user.type(screen.getByRole('spinbutton', { name: 'Quantity of Domain-Driven Design' }), '3')
    await user.type(screen.getByLabelText('Shipping address'), '1 Main St')
    await user.click(screen.getByRole('button', { name: 'Place order' }))

    expect(await screen.findByRole('heading', { name: 'Arrived at /me/orders/:orderId' })).toBeInTheDocument()
    expect(sent[0]?.body).toEqual({
      items: [{ product_id: 'p-1', quantity: 3 }],
      shipping_address: '1 Main St',
      note: '',
    })
    expect(sent[0]?.headers.get('Idempotency-Key')).toBeTruthy()
    expect(cart.getLines()).toEqual([])
    session.signOut()
  })
})
