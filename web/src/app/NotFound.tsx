import { Link } from 'react-router'
import { PageTitle } from '@/components/PageTitle'
import { paths } from '@/config/paths'

export function NotFound() {
  return (
    <>
      <PageTitle>Page not found</PageTitle>
      <p>
        There is nothing at this address. <Link to={paths.catalog}>Back to the catalog</Link>
      </p>
    </>
  )
}
