import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '@/lib/api/client'
import { unwrap } from '@/lib/api/errors'
import type { components, paths } from '@/lib/api/notifications'

export type Notification = components['schemas']['NotificationOutput']
export type InboxQuery = NonNullable<paths['/notifications/api/notifications/']['get']['parameters']['query']>

const UNREAD_POLL_MS = 30_000

export const notificationsKeys = {
  all: ['notifications'] as const,
  list: (query: InboxQuery) => ['notifications', 'list', query] as const,
  unread: ['notifications', 'unread'] as const,
}

export function useInbox(query: InboxQuery) {
  return useQuery({
    queryKey: notificationsKeys.list(query),
    queryFn: ({ signal }) => unwrap(api.GET('/notifications/api/notifications/', { params: { query }, signal })),
    placeholderData: keepPreviousData,
  })
}

/** How many notifications are unread: asked again every 30 s while the page is visible. */
export function useUnreadCount(enabled: boolean) {
  return useQuery({
    queryKey: notificationsKeys.unread,
    queryFn: ({ signal }) => unwrap(api.GET('/notifications/api/notifications/unread-count/', { signal })),
    select: (answer) => answer.count,
    enabled,
    refetchInterval: UNREAD_POLL_MS,
  })
}

export function useMarkRead() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(
        api.POST('/notifications/api/notifications/{notification_id}/read/', {
          params: { path: { notification_id: id } },
        }),
      ),
    onSettled: () => queryClient.invalidateQueries({ queryKey: notificationsKeys.all }),
  })
}

export function useMarkAllRead() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: () => unwrap(api.POST('/notifications/api/notifications/read-all/')),
    onSettled: () => queryClient.invalidateQueries({ queryKey: notificationsKeys.all }),
  })
}
