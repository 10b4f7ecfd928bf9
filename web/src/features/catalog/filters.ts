import { parseMoney, toAmountText } from '@/lib/money'
import type { Ordering, ProductQuery } from './api/catalog'

export const PAGE_SIZE = 12

export const ORDERINGS: { value: Ordering; label: string }[] = [
  { value: 'newest', label: 'Newest first' },
  { value: 'price', label: 'Price, low to high' },
  { value: '-price', label: 'Price, high to low' },
  { value: 'name', label: 'Name, A to Z' },
  { value: '-name', label: 'Name, Z to A' },
  { value: 'oldest', label: 'Oldest first' },
]

const FILTERS = ['search', 'category', 'min_price', 'max_price', 'in_stock', 'currency', 'ordering'] as const

/** The product query a catalog URL asks for (the URL holds the API's own parameters). */
export function productQuery(params: URLSearchParams): ProductQuery {
  const query: ProductQuery = { page_size: PAGE_SIZE }
  const page = Number(params.get('page'))
  if (Number.isInteger(page) && page > 1) query.page = page
  for (const name of FILTERS) {
    const value = params.get(name)
    if (!value) continue
    if (name === 'ordering') {
      const ordering = ORDERINGS.find((candidate) => candidate.value === value)
      if (ordering) query.ordering = ordering.value
    } else {
      query[name] = value
    }
  }
  return query
}

/**
 * The URL parameters of the filter form. Prices are typed in the chosen currency (EUR when none is
 * chosen) and sent in its minor units; a price that is not an amount is left out.
 */
export function filterParams(form: FormData, current: URLSearchParams): URLSearchParams {
  const next = new URLSearchParams()
  const category = current.get('category')
  if (category) next.set('category', category)
  const text = (name: string) => String(form.get(name) ?? '').trim()
  const currency = text('currency')
  if (text('search')) next.set('search', text('search'))
  if (currency) next.set('currency', currency)
  for (const name of ['min_price', 'max_price']) {
    const minor = parseMoney(text(name), currency || 'EUR')
    if (minor !== null) next.set(name, String(minor))
  }
  if (form.get('in_stock')) next.set('in_stock', 'true')
  if (text('ordering') && text('ordering') !== 'newest') next.set('ordering', text('ordering'))
  return next
}

/** A price parameter back as the text of its field. */
export function priceText(minor: string | undefined, currency: string | undefined): string {
  if (!minor || !/^\d+$/.test(minor)) return ''
  return toAmountText(Number(minor), currency || 'EUR')
}
