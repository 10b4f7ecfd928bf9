import { Link, useLocation } from 'react-router'
import { PageTitle } from '@/components/PageTitle'
import { paths, withNext } from '@/config/paths'
import { useSession } from '@/lib/auth/useSession'
import { formatMoney } from '@/lib/money'
import { CartLines } from '../components/CartLines'
import { PlaceOrderForm } from '../components/PlaceOrderForm'
import { cartTotals, useCartLines } from '../store'

export default function CartPage() {
  const lines = useCartLines()
  const session = useSession()
  const location = useLocation()
  if (lines.length === 0) {
    return (
      <>
        <PageTitle>Your cart</PageTitle>
        <p>
          Your cart is empty. <Link to={paths.catalog}>Browse the catalog</Link>
        </p>
      </>
    )
  }
  return (
    <>
      <PageTitle>Your cart</PageTitle>
      <CartLines lines={lines} />
      <p className="amount">
        Total:{' '}
        {cartTotals(lines)
          .map(({ currency, total }) => formatMoney(total, currency))
          .join(' + ')}
      </p>
      {session.status === 'signed-in' ? (
        <PlaceOrderForm lines={lines} />
      ) : (
        <p>
          <Link to={withNext(paths.signIn, location.pathname)}>Sign in</Link> or{' '}
          <Link to={withNext(paths.signUp, location.pathname)}>create an account</Link> to place your order.
        </p>
      )}
    </>
  )
}
