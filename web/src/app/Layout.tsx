import { Link, NavLink, Outlet } from 'react-router'
import { paths } from '@/config/paths'
import { SignOutButton, VerifyBanner } from '@/features/account'
import { CartLink } from '@/features/cart'
import { InboxLink } from '@/features/notifications'
import { isStaff } from '@/lib/auth/claims'
import { useSession } from '@/lib/auth/useSession'

export function Layout() {
  const session = useSession()
  const signedIn = session.status === 'signed-in'
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <Link to={paths.catalog} className="brand">
          Shop
        </Link>
        <nav aria-label="Main">
          <ul>
            <li>
              <NavLink to={paths.catalog} end>
                Catalog
              </NavLink>
            </li>
            <li>
              <CartLink />
            </li>
            {signedIn && (
              <>
                <li>
                  <NavLink to={paths.orders}>Orders</NavLink>
                </li>
                <li>
                  <NavLink to={paths.accounts}>Accounts</NavLink>
                </li>
                <li>
                  <InboxLink />
                </li>
                <li>
                  <NavLink to={paths.profile}>Profile</NavLink>
                </li>
              </>
            )}
            {signedIn && isStaff(session.claims) && (
              <li>
                <NavLink to={paths.staff}>Staff</NavLink>
              </li>
            )}
            {session.status === 'signed-out' && (
              <>
                <li>
                  <NavLink to={paths.signIn}>Sign in</NavLink>
                </li>
                <li>
                  <NavLink to={paths.signUp}>Sign up</NavLink>
                </li>
              </>
            )}
            {signedIn && (
              <li>
                <SignOutButton />
              </li>
            )}
          </ul>
        </nav>
      </header>
      <VerifyBanner />
      <main id="main" className="page" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  )
}
