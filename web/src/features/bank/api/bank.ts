import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '@/lib/api/client'
import type { components, paths } from '@/lib/api/bank'
import { unwrap } from '@/lib/api/errors'
import { useAttempts } from '@/lib/api/idempotency'

export type Account = components['schemas']['AccountOutput']
export type Currency = components['schemas']['CurrencyEnum']
export type AccountQuery = NonNullable<paths['/bank/api/accounts/']['get']['parameters']['query']>
export type StatementQuery = NonNullable<
  paths['/bank/api/accounts/{account_id}/transactions/']['get']['parameters']['query']
>
export type Transfer = components['schemas']['TransferInputRequest']

export const CURRENCIES: readonly Currency[] = ['EUR', 'USD', 'GBP']

export const bankKeys = {
  all: ['bank'] as const,
  accounts: (query: AccountQuery) => ['bank', 'accounts', query] as const,
  account: (id: string) => ['bank', 'account', id] as const,
  statement: (id: string, query: StatementQuery) => ['bank', 'statement', id, query] as const,
}

/** The caller's accounts (staff: anyone's, by `owner_id`). */
export function useAccounts(query: AccountQuery = { page_size: 100 }, enabled = true) {
  return useQuery({
    queryKey: bankKeys.accounts(query),
    queryFn: ({ signal }) => unwrap(api.GET('/bank/api/accounts/', { params: { query }, signal })),
    enabled,
  })
}

export function useAccount(id: string, enabled = true) {
  return useQuery({
    queryKey: bankKeys.account(id),
    queryFn: ({ signal }) =>
      unwrap(api.GET('/bank/api/accounts/{account_id}/', { params: { path: { account_id: id } }, signal })),
    enabled,
  })
}

export function useStatement(id: string, query: StatementQuery) {
  return useQuery({
    queryKey: bankKeys.statement(id, query),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET('/bank/api/accounts/{account_id}/transactions/', {
          params: { path: { account_id: id }, query },
          signal,
        }),
      ),
    placeholderData: keepPreviousData,
  })
}

export function useOpenAccount() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (currency: Currency) => unwrap(api.POST('/bank/api/accounts/', { body: { currency } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: bankKeys.all }),
  })
}

export function useTransfer() {
  const queryClient = useQueryClient()
  const attempts = useAttempts()
  return useMutation({
    mutationFn: (transfer: Transfer) =>
      unwrap(
        api.POST('/bank/api/transfers/', {
          params: { header: { 'Idempotency-Key': attempts.keyFor(transfer) } },
          body: transfer,
        }),
      ),
    onSettled: (_transaction, error) => {
      attempts.settle(error)
      return queryClient.invalidateQueries({ queryKey: bankKeys.all })
    },
  })
}
