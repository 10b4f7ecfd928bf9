import { describe, expect, it } from 'vitest'
import { ApiError } from '@/lib/api/errors'
import { paymentOutcome } from './payment'
import type { Order } from './orders'

function order(status: Order['status'], payment: Partial<Order['payment']> = {}): Order {
  return {
    status,
    payment: { in_progress: false, error: '', error_code: '', refund_in_progress: false, ...payment },
  } as Order
}

describe('paymentOutcome', () => {
  it('says a 402 is a decline, with its code and message', () => {
    const error = new ApiError({
      status: 402,
      code: 'insufficient_funds',
      message: 'Not enough money.',
      requestId: 'r1',
    })
    expect(paymentOutcome(undefined, error)).toEqual({
      kind: 'declined',
      code: 'insufficient_funds',
      message: 'Not enough money.',
      requestId: 'r1',
    })
  })

  it('tells an unanswered payment (503, 504, no connection) from a refusal', () => {
    const timeout = new ApiError({ status: 504, code: 'service_timeout', message: 'No answer.' })
    expect(paymentOutcome(undefined, timeout)).toEqual({ kind: 'unanswered', error: timeout })
    const conflict = new ApiError({ status: 409, code: 'payment_in_progress', message: 'Busy.' })
    expect(paymentOutcome(undefined, conflict)).toEqual({ kind: 'failed', error: conflict })
  })

  it('says paid, or still in flight', () => {
    expect(paymentOutcome(order('paid'), null)).toEqual({ kind: 'paid' })
    expect(paymentOutcome(order('pending', { in_progress: true }), null)).toEqual({ kind: 'in-flight' })
    expect(paymentOutcome(undefined, null)).toBeNull()
  })
})
