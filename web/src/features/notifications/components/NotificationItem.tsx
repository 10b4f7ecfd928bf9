import { DateTime } from '@/components/DateTime'
import { useMarkRead, type Notification } from '../api/notifications'

export function NotificationItem({ notification }: { notification: Notification }) {
  const markRead = useMarkRead()
  return (
    <li className={`card notification${notification.is_read ? '' : ' unread'}`}>
      <h2 className="card-title">
        {!notification.is_read && <span className="visually-hidden">Unread: </span>}
        {notification.title}
      </h2>
      <p>{notification.body}</p>
      <p className="muted">
        <DateTime value={notification.created_at} />
      </p>
      {!notification.is_read && (
        <button
          type="button"
          className="button button-secondary"
          disabled={markRead.isPending}
          onClick={() => markRead.mutate(notification.id)}
        >
          Mark as read<span className="visually-hidden">: {notification.title}</span>
        </button>
      )}
    </li>
  )
}
