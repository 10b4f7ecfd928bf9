import { useSearchParams } from 'react-router'
import { ErrorNotice } from '@/components/ErrorNotice'
import { Loading } from '@/components/Loading'
import { PageTitle } from '@/components/PageTitle'
import { pageOf, Pagination, withPage } from '@/components/Pagination'
import { useInbox, useMarkAllRead } from '../api/notifications'
import { NotificationItem } from '../components/NotificationItem'

const PAGE_SIZE = 20

export default function InboxPage() {
  const [params, setParams] = useSearchParams()
  const unreadOnly = params.get('unread') === 'true'
  const page = pageOf(params)
  const inbox = useInbox({ page, page_size: PAGE_SIZE, ...(unreadOnly && { is_read: 'false' }) })
  const markAll = useMarkAllRead()

  return (
    <>
      <PageTitle>Inbox</PageTitle>
      <div className="toolbar">
        <label className="checkbox">
          <input
            type="checkbox"
            checked={unreadOnly}
            onChange={(event) => setParams(event.target.checked ? { unread: 'true' } : {})}
          />{' '}
          Unread only
        </label>
        <button
          type="button"
          className="button button-secondary"
          disabled={markAll.isPending}
          onClick={() => markAll.mutate()}
        >
          Mark all as read
        </button>
      </div>
      <ErrorNotice error={markAll.error} />
      {inbox.isPending ? (
        <Loading />
      ) : inbox.isError ? (
        <ErrorNotice error={inbox.error} />
      ) : inbox.data.results.length === 0 ? (
        <p>{unreadOnly ? 'Nothing unread.' : 'No notifications yet.'}</p>
      ) : (
        <>
          <ul className="inbox">
            {inbox.data.results.map((notification) => (
              <NotificationItem key={notification.id} notification={notification} />
            ))}
          </ul>
          <Pagination
            page={page}
            count={inbox.data.count}
            pageSize={PAGE_SIZE}
            hrefFor={(target) => withPage(params, target)}
          />
        </>
      )}
    </>
  )
}
