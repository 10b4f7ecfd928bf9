import { Link } from 'react-router'

interface PaginationProps {
  page: number
  count: number
  pageSize: number
  /** The location of a page (keeps the other query parameters). */
  hrefFor: (page: number) => string
}

export function Pagination({ page, count, pageSize, hrefFor }: PaginationProps) {
  const pages = Math.max(1, Math.ceil(count / pageSize))
  if (pages === 1) return null
  return (
    <nav className="pagination" aria-label="Pages">
      {page > 1 ? <Link to={hrefFor(page - 1)}>Previous</Link> : <span aria-hidden="true" />}
      <span>
        Page {page} of {pages}
      </span>
      {page < pages ? <Link to={hrefFor(page + 1)}>Next</Link> : <span aria-hidden="true" />}
    </nav>
  )
}

/** The page number of a query string (1 when missing or not a positive integer). */
export function pageOf(params: URLSearchParams): number {
  const page = Number(params.get('page'))
  return Number.isInteger(page) && page > 0 ? page : 1
}

/** The query string with another page (page 1 is no parameter at all). */
export function withPage(params: URLSearchParams, page: number): string {
  const next = new URLSearchParams(params)
  if (page > 1) next.set('page', String(page))
  else next.delete('page')
  const query = next.toString()
  return query ? `?${query}` : '?'
}
