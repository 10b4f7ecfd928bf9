import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { bankKeys } from '@/features/bank'
import { api } from '@/lib/api/client'
import { unwrap } from '@/lib/api/errors'
import { useAttempts } from '@/lib/api/idempotency'
import type { components, paths } from '@/lib/api/orders'

export type Order = components['schemas']['OrderOutput']
export type OrderStatus = components['schemas']['StatusEnum']
export type OrderQuery = NonNullable<paths['/orders/api/orders/']['get']['parameters']['query']>
export type NewOrder = components['schemas']['OrderCreateInputRequest']

export const ordersKeys = {
  all: ['orders'] as const,
  list: (query: OrderQuery) => ['orders', 'list', query] as const,
  detail: (id: string) => ['orders', 'detail', id] as const,
}

export function useOrders(query: OrderQuery) {
  return useQuery({
    queryKey: ordersKeys.list(query),
    queryFn: ({ signal }) => unwrap(api.GET('/orders/api/orders/', { params: { query }, signal })),
    placeholderData: keepPreviousData,
  })
}

export function useOrder(id: string) {
  return useQuery({
    queryKey: ordersKeys.detail(id),
    queryFn: ({ signal }) =>
      unwrap(api.GET('/orders/api/orders/{order_id}/', { params: { path: { order_id: id } }, signal })),
  })
}

/** Place an order from the cart: the catalog prices it and holds its stock. */
export function usePlaceOrder() {
  const queryClient = useQueryClient()
  const attempts = useAttempts()
  return useMutation({
    mutationFn: (order: NewOrder) =>
      unwrap(
        api.POST('/orders/api/orders/', {
          params: { header: { 'Idempotency-Key': attempts.keyFor(order) } },
          body: order,
        }),
      ),
    onSettled: (order, error) => {
      attempts.settle(error)
      if (order) queryClient.setQueryData(ordersKeys.detail(order.id), order)
      return queryClient.invalidateQueries({ queryKey: ordersKeys.all })
    },
  })
}

/** Cancel a pending order, or have a paid one refunded (the money goes back to the account). */
export function useCancelOrder(id: string) {
  const queryClient = useQueryClient()
  const attempts = useAttempts()
  return useMutation({
    mutationFn: (body: { reason: string }) =>
      unwrap(
        api.POST('/orders/api/orders/{order_id}/cancel/', {
          params: { path: { order_id: id }, header: { 'Idempotency-Key': attempts.keyFor(body) } },
          body,
        }),
      ),
    onSettled: (order, error) => {
      attempts.settle(error)
      if (order) queryClient.setQueryData(ordersKeys.detail(id), order)
      return Promise.all([
        queryClient.invalidateQueries({ queryKey: ordersKeys.all }),
        queryClient.invalidateQueries({ queryKey: bankKeys.all }),
      ])
    },
  })
}
