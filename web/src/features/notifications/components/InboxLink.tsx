import { NavLink } from 'react-router'
import { paths } from '@/config/paths'
import { useSession } from '@/lib/auth/useSession'
import { useUnreadCount } from '../api/notifications'

/** The header's link to the inbox, with the number of unread notifications. */
export function InboxLink() {
  const signedIn = useSession().status === 'signed-in'
  const unread = useUnreadCount(signedIn).data ?? 0
  return (
    <NavLink to={paths.inbox}>
      Inbox
      {unread > 0 && (
        <>
          {' '}
          <span className="badge">
            {unread} <span className="visually-hidden">unread</span>
          </span>
        </>
      )}
    </NavLink>
  )
}
