import { Navigate, Outlet, useLocation } from 'react-router'
import { Loading } from '@/components/Loading'
import { PageTitle } from '@/components/PageTitle'
import { paths, withNext } from '@/config/paths'
import { isStaff } from '@/lib/auth/claims'
import { useSession } from '@/lib/auth/useSession'

/** Routes for signed-in users: anyone else is sent to sign in, and brought back afterwards. */
export function RequireSignIn() {
  const session = useSession()
  const location = useLocation()
  if (session.status === 'starting') return <Loading />
  if (session.status === 'signed-out') {
    return <Navigate to={withNext(paths.signIn, location.pathname + location.search)} replace />
  }
  return <Outlet />
}

/** Routes for staff (role `staff` or `admin`). */
export function RequireStaff() {
  const session = useSession()
  if (session.status === 'signed-in' && !isStaff(session.claims)) {
    return (
      <>
        <PageTitle>Staff only</PageTitle>
        <p>This page is for the shop's staff.</p>
      </>
    )
  }
  return <RequireSignIn />
}
