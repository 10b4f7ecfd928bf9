import { describe, expect, it } from 'vitest'
import { filterParams, priceText, productQuery } from './filters'

function form(fields: Record<string, string>): FormData {
  const data = new FormData()
  for (const [name, value] of Object.entries(fields)) data.set(name, value)
  return data
}

describe('catalog filters', () => {
  it('read the API query from the URL, ignoring what the API would refuse', () => {
    const params = new URLSearchParams('search=roast&category=c-1&min_price=500&in_stock=true&ordering=-price&page=3')
    expect(productQuery(params)).toEqual({
      page_size: 12,
      page: 3,
      search: 'roast',
      category: 'c-1',
      min_price: '500',
      in_stock: 'true',
      ordering: '-price',
    })
    expect(productQuery(new URLSearchParams('ordering=random&page=0'))).toEqual({ page_size: 12 })
  })

  it('write the form into the URL: prices in minor units, the category kept, page 1 dropped', () => {
    const current = new URLSearchParams('category=c-1&page=4')
    const next = filterParams(
      form({ search: ' moka ', min_price: '10', max_price: '24.50', currency: '', ordering: 'price', in_stock: 'on' }),
      current,
    )
    expect(next.toString()).toBe('category=c-1&search=moka&min_price=1000&max_price=2450&in_stock=true&ordering=price')
  })

  it('leave out a price that is not an amount, and the default ordering', () => {
    const next = filterParams(form({ min_price: 'cheap', ordering: 'newest' }), new URLSearchParams())
    expect(next.toString()).toBe('')
  })

  it('show a price parameter back in the field', () => {
    expect(priceText('2450', 'EUR')).toBe('24.50')
    expect(priceText('abc', 'EUR')).toBe('')
  })
})
