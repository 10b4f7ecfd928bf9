import { useMutation, useQueryClient } from '@tanstack/react-query'
import { bankKeys } from '@/features/bank'
import { api } from '@/lib/api/client'
import { isApiError, unwrap, type ApiError } from '@/lib/api/errors'
import { mayRetrySameAttempt, useAttempts } from '@/lib/api/idempotency'
import type { components } from '@/lib/api/orders'
import { ordersKeys, type Order } from './orders'

type PaymentDeclined = components['schemas']['PaymentDeclined']

/** What became of a payment request, as the customer needs to hear it. */
export type PaymentOutcome =
  | { kind: 'paid' }
  | { kind: 'declined'; code: string; message: string; requestId: string | null }
  /** The charge was sent and has no answer yet: the order says so until it settles. */
  | { kind: 'in-flight' }
  /** No answer (503, 504, no connection): the same attempt may be sent again safely. */
  | { kind: 'unanswered'; error: ApiError }
  | { kind: 'failed'; error: unknown }

/** The order a declined payment (402) answers along with the error. */
function declinedOrder(error: unknown): Order | undefined {
  return isApiError(error) && error.status === 402 ? (error.body as PaymentDeclined).order : undefined
}

export function paymentOutcome(order: Order | undefined, error: unknown): PaymentOutcome | null {
  if (isApiError(error) && error.status === 402) {
    return { kind: 'declined', code: error.code, message: error.message, requestId: error.requestId }
  }
  if (mayRetrySameAttempt(error)) return { kind: 'unanswered', error: error as ApiError }
  if (error) return { kind: 'failed', error }
  if (!order) return null
  if (order.status === 'paid') return { kind: 'paid' }
  return order.payment.in_progress ? { kind: 'in-flight' } : null
}

/**
 * Pay an order from one of the customer's accounts. A request without an answer is sent again
 * with the same Idempotency-Key (it resumes that attempt); any other answer ends the attempt, and
 * the next payment (another account, or the same one once it has money) is a new one.
 */
export function usePayOrder(orderId: string) {
  const queryClient = useQueryClient()
  const attempts = useAttempts()
  return useMutation({
    mutationFn: (body: { account_id: string }) =>
      unwrap(
        api.POST('/orders/api/orders/{order_id}/pay/', {
          params: { path: { order_id: orderId }, header: { 'Idempotency-Key': attempts.keyFor(body) } },
          body,
        }),
      ),
    onSettled: (order, error) => {
      attempts.settle(error)
      const answered = order ?? declinedOrder(error)
      if (answered) queryClient.setQueryData(ordersKeys.detail(orderId), answered)
      return Promise.all([
        queryClient.invalidateQueries({ queryKey: ordersKeys.all }),
        queryClient.invalidateQueries({ queryKey: bankKeys.all }),
      ])
    },
  })
}
