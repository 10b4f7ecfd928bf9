import { Link, useSearchParams } from 'react-router'
import { DateTime } from '@/components/DateTime'
import { ErrorNotice } from '@/components/ErrorNotice'
import { Field } from '@/components/Field'
import { Loading } from '@/components/Loading'
import { PageTitle } from '@/components/PageTitle'
import { pageOf, Pagination, withPage } from '@/components/Pagination'
import { paths } from '@/config/paths'
import { formatMoney } from '@/lib/money'
import { useOrders, type OrderStatus as Status } from '../api/orders'
import { orderReference, OrderStatus } from '../components/OrderStatus'

const PAGE_SIZE = 20
const STATUSES: readonly Status[] = ['pending', 'paid', 'fulfilled', 'cancelled', 'refunded']

export default function OrdersPage() {
  const [params, setParams] = useSearchParams()
  const status = STATUSES.find((candidate) => candidate === params.get('status'))
  const page = pageOf(params)
  const orders = useOrders({ page, page_size: PAGE_SIZE, ...(status && { status }) })

  return (
    <>
      <PageTitle>Your orders</PageTitle>
      <Field label="Show">
        {(control) => (
          <select
            {...control}
            value={status ?? ''}
            onChange={(event) => setParams(event.target.value ? { status: event.target.value } : {})}
          >
            <option value="">All orders</option>
            {STATUSES.map((candidate) => (
              <option key={candidate} value={candidate}>
                {candidate}
              </option>
            ))}
          </select>
        )}
      </Field>
      {orders.isPending ? (
        <Loading />
      ) : orders.isError ? (
        <ErrorNotice error={orders.error} />
      ) : orders.data.results.length === 0 ? (
        <p>
          No orders here yet. <Link to={paths.catalog}>Browse the catalog</Link>
        </p>
      ) : (
        <>
          <ul className="rows">
            {orders.data.results.map((order) => (
              <li key={order.id} className="row">
                <Link to={paths.order(order.id)}>Order {orderReference(order.id)}</Link>
                <OrderStatus status={order.status} />
                <span>{formatMoney(order.total, order.currency)}</span>
                <DateTime value={order.created_at} />
              </li>
            ))}
          </ul>
          <Pagination
            page={page}
            count={orders.data.count}
            pageSize={PAGE_SIZE}
            hrefFor={(target) => withPage(params, target)}
          />
        </>
      )}
    </>
  )
}
