import { formatMoney } from '@/lib/money'
import type { Order } from '../api/orders'

export function OrderLines({ order }: { order: Order }) {
  return (
    <div className="table-scroll" role="region" aria-labelledby="lines-caption" tabIndex={0}>
      <table>
        <caption id="lines-caption">Items</caption>
        <thead>
          <tr>
            <th scope="col">Product</th>
            <th scope="col" className="numeric">
              Price
            </th>
            <th scope="col" className="numeric">
              Quantity
            </th>
            <th scope="col" className="numeric">
              Total
            </th>
          </tr>
        </thead>
        <tbody>
          {order.lines.map((line) => (
            <tr key={line.product_id}>
              <td>{line.name}</td>
              <td className="numeric">{formatMoney(line.unit_price, order.currency)}</td>
              <td className="numeric">{line.quantity}</td>
              <td className="numeric">{formatMoney(line.line_total, order.currency)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row" colSpan={3}>
              Order total
            </th>
            <td className="numeric">{formatMoney(order.total, order.currency)}</td>
          </tr>
        </tfoot>
      </table>
    </div>
  )
}
