import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { bankKeys } from '@/features/bank'
import { catalogKeys } from '@/features/catalog'
import { api } from '@/lib/api/client'
import type { components as Bank } from '@/lib/api/bank'
import type { components as Catalog } from '@/lib/api/catalog'
import { unwrap } from '@/lib/api/errors'
import { useAttempts } from '@/lib/api/idempotency'

export type CashMovement = Bank['schemas']['CashInputRequest'] & { kind: 'deposit' | 'withdrawal' }
export type ProductInput = Catalog['schemas']['ProductInputRequest']

/** A deposit into, or a withdrawal from, a customer's account (cash over the counter). */
export function useCashMovement() {
  const queryClient = useQueryClient()
  const attempts = useAttempts()
  return useMutation({
    mutationFn: ({ kind, ...body }: CashMovement) => {
      const options = { params: { header: { 'Idempotency-Key': attempts.keyFor({ kind, ...body }) } }, body }
      return unwrap(
        kind === 'deposit' ? api.POST('/bank/api/deposits/', options) : api.POST('/bank/api/withdrawals/', options),
      )
    },
    onSettled: (_transaction, error) => {
      attempts.settle(error)
      return queryClient.invalidateQueries({ queryKey: bankKeys.all })
    },
  })
}

/** Users whose email or name matches (admins only). */
export function useFindUsers(search: string) {
  return useQuery({
    queryKey: ['staff', 'users', search],
    queryFn: ({ signal }) =>
      unwrap(api.GET('/auth/api/users/', { params: { query: { search, page_size: 10 } }, signal })),
    enabled: search.length > 0,
  })
}

/** Create a product, or change one (`id`): only the fields sent change. */
export function useSaveProduct(id?: string) {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (product: ProductInput) =>
      unwrap(
        id
          ? api.PATCH('/catalog/api/products/{product_id}/', { params: { path: { product_id: id } }, body: product })
          : api.POST('/catalog/api/products/', { body: product }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: catalogKeys.all }),
  })
}
