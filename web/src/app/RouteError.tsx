import { isRouteErrorResponse, Link, useRouteError } from 'react-router'
import { ErrorNotice } from '@/components/ErrorNotice'
import { PageTitle } from '@/components/PageTitle'
import { paths } from '@/config/paths'
import { NotFound } from './NotFound'

/** What a route shows when it fails to load or render. */
export function RouteError() {
  const error = useRouteError()
  if (isRouteErrorResponse(error) && error.status === 404) return <NotFound />
  return (
    <>
      <PageTitle>Something went wrong</PageTitle>
      <ErrorNotice error={error} />
      <p>
        <Link to={paths.catalog} reloadDocument>
          Reload the shop
        </Link>
      </p>
    </>
  )
}
