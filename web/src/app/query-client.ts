import { QueryClient } from '@tanstack/react-query'
import { isApiError } from '@/lib/api/errors'
import { mayRetrySameAttempt } from '@/lib/api/idempotency'

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        // A read that failed for lack of an answer is tried again; a 4xx is the answer.
        retry: (failures, error) => failures < 2 && (!isApiError(error) || mayRetrySameAttempt(error)),
      },
    },
  })
}
