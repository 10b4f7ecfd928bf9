import { screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { apiError, json, stubApi } from '@/testing/api'
import { renderWithProviders } from '@/testing/render'
import type { Order } from '../api/orders'
import { PayOrder } from './PayOrder'

const ORDER = {
  id: 'o-1',
  status: 'pending',
  total: 4999,
  currency: 'EUR',
  payment: {
    in_progress: false,
    payment_id: null,
    paid_payment_id: null,
    error_code: '',
    error: '',
    refund_in_progress: false,
  },
} as Order

const account = (id: string, number: string, balance: number) => ({
  id,
  number,
  balance,
  currency: 'EUR',
  status: 'active',
  owner_id: 'u-1',
  created_at: '2025-01-01T00:00:00Z',
})

const accounts = () =>
  json(200, {
    count: 2,
    next: null,
    previous: null,
    results: [account('empty', 'NL-0001', 0), account('funded', 'NL-0002', 10000)],
  })

const PAY = 'POST /orders/api/orders/o-1/pay/'

function keys(sent: ReturnType<typeof stubApi>) {
  return sent.filter((request) => request.method === 'POST').map((request) => request.headers.get('Idempotency-Key'))
}

describe('PayOrder', () => {
  it('shows a decline, then pays from another account as a new attempt', async () => {
    const sent = stubApi({
      'GET /bank/api/accounts/': accounts,
      [PAY]: [
        () => apiError(402, 'insufficient_funds', 'The account does not have enough money.', { order: ORDER }),
        () => json(200, { ...ORDER, status: 'paid' }),
      ],
    })
    renderWithProviders(<PayOrder order={ORDER} />)
    const user = userEvent.setup()

    await user.click(await screen.findByRole('button', { name: 'Pay €49.99' }))
    const alert = await screen.findByRole('alert')
    expect(alert).toHaveTextContent('Payment declined: The account does not have enough money.')
    expect(alert).toHaveTextContent('insufficient_funds')
    expect(alert).toHaveTextContent('req-insufficient_funds')

    await user.selectOptions(screen.getByLabelText('Pay from'), 'NL-0002 · €100.00')
    await user.click(screen.getByRole('button', { name: 'Pay €49.99' }))

    const [first, second] = keys(sent)
    expect(first).not.toBe(second)
    expect(sent.filter((request) => request.method === 'POST').map((request) => request.body)).toEqual([
      { account_id: 'empty' },
      { account_id: 'funded' },
    ])
  })

  it('retries a payment without an answer with the same Idempotency-Key', async () => {
    const sent = stubApi({
      'GET /bank/api/accounts/': accounts,
      [PAY]: [
        () => apiError(504, 'service_timeout', 'The service did not answer in time.'),
        () => json(200, { ...ORDER, status: 'paid' }),
      ],
    })
    renderWithProviders(<PayOrder order={ORDER} />)
    const user = userEvent.setup()

    await user.click(await screen.findByRole('button', { name: 'Pay €49.99' }))
    expect(await screen.findByRole('alert')).toHaveTextContent('The payment may still go through')
    await user.click(screen.getByRole('button', { name: 'Retry payment' }))

    expect(await screen.findByText('Payment received. Thank you!')).toBeInTheDocument()
    const [first, retry] = keys(sent)
    expect(retry).toBe(first)
  })

  it('sends to verification when the address is not verified', async () => {
    stubApi({
      'GET /bank/api/accounts/': accounts,
      [PAY]: () => apiError(403, 'email_not_verified', 'Verify your email address before moving money.'),
    })
    renderWithProviders(<PayOrder order={ORDER} />, { path: '/me/orders/:orderId', url: '/me/orders/o-1' })

    await userEvent.click(await screen.findByRole('button', { name: 'Pay €49.99' }))

    expect(await screen.findByRole('link', { name: 'Verify your email address' })).toHaveAttribute(
      'href',
      '/me/verify?next=%2Fme%2Forders%2Fo-1',
    )
  })
})
