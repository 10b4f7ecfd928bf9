import { NavLink } from 'react-router'
import { paths } from '@/config/paths'
import { useCartLines } from '../store'

/** The header's link to the cart, with how many items it holds. */
export function CartLink() {
  const count = useCartLines().reduce((sum, line) => sum + line.quantity, 0)
  return (
    <NavLink to={paths.cart}>
      Cart
      {count > 0 && (
        <>
          {' '}
          <span className="badge">
            {count} <span className="visually-hidden">{count === 1 ? 'item' : 'items'}</span>
          </span>
        </>
      )}
    </NavLink>
  )
}
