import type { OrderStatus as Status } from '../api/orders'

const LABELS: Record<Status, string> = {
  pending: 'Awaiting payment',
  paid: 'Paid',
  fulfilled: 'Shipped',
  cancelled: 'Cancelled',
  refunded: 'Refunded',
}

export function OrderStatus({ status }: { status: Status }) {
  return <span className={`status status-${status}`}>{LABELS[status]}</span>
}

/** A short, readable reference for an order: the start of its id. */
export function orderReference(id: string): string {
  return id.slice(0, 8).toUpperCase()
}
