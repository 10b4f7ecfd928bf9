import { Link, useLocation } from 'react-router'
import { paths, withNext } from '@/config/paths'
import { useClaims } from '@/lib/auth/useSession'

/** Until the address is verified, money cannot move: say so, with the way to fix it. */
export function VerifyBanner() {
  const claims = useClaims()
  const location = useLocation()
  if (!claims || claims.email_verified || location.pathname === paths.verifyEmail) return null
  return (
    <div className="banner" role="region" aria-label="Email verification">
      <p>
        Verify your email address to pay for orders and transfer money.{' '}
        <Link to={withNext(paths.verifyEmail, location.pathname + location.search)}>Verify now</Link>
      </p>
    </div>
  )
}
