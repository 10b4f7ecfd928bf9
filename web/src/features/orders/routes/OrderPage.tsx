import { useParams } from 'react-router'
import { DateTime } from '@/components/DateTime'
import { ErrorNotice } from '@/components/ErrorNotice'
import { Loading } from '@/components/Loading'
import { PageTitle } from '@/components/PageTitle'
import { useOrder } from '../api/orders'
import { CancelOrder } from '../components/CancelOrder'
import { OrderLines } from '../components/OrderLines'
import { orderReference, OrderStatus } from '../components/OrderStatus'
import { PayOrder } from '../components/PayOrder'
import { StatusHistory } from '../components/StatusHistory'

export default function OrderPage() {
  const { orderId = '' } = useParams()
  const order = useOrder(orderId)
  if (order.isPending) return <Loading />
  if (order.isError) return <ErrorNotice error={order.error} />
  const current = order.data
  const cancellable = current.status === 'pending' || (current.status === 'paid' && !current.payment.refund_in_progress)
  return (
    <>
      <PageTitle>{`Order ${orderReference(current.id)}`}</PageTitle>
      <p>
        <OrderStatus status={current.status} /> · placed <DateTime value={current.created_at} />
      </p>
      {current.status === 'pending' && (
        <p className="muted">
          The items are held for you until <DateTime value={current.reservation_expires_at} />.
        </p>
      )}
      {current.payment.refund_in_progress && <p role="status">A refund is on its way to your account.</p>}
      <OrderLines order={current} />
      {current.shipping_address && (
        <p>
          <strong>Ship to:</strong> {current.shipping_address}
        </p>
      )}
      {(current.status === 'pending' || current.status === 'paid') && <PayOrder order={current} />}
      {cancellable && <CancelOrder order={current} />}
      <StatusHistory history={current.history} />
    </>
  )
}
