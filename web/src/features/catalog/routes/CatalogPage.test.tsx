import { screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { json, stubApi } from '@/testing/api'
import { renderWithProviders } from '@/testing/render'
import CatalogPage from './CatalogPage'

const product = (id: string, name: string, price: number, stock: number) => ({
  id,
  name,
  sku: id,
  slug: id,
  description: '',
  price,
  currency: 'EUR',
  stock,
  in_stock: stock > 0,
  low_stock: stock > 0 && stock <= 3,
  is_active: true,
  image_url: '',
  category: { id: 'coffee', name: 'Coffee', slug: 'coffee' },
  created_at: '',
  updated_at: '',
})

const page = (results: unknown[], count = results.length) => json(200, { count, next: null, previous: null, results })

describe('CatalogPage', () => {
  it('lists the products with their prices and stock, and pages through them', async () => {
    stubApi({
      'GET /catalog/api/products/': () =>
        page([product('p-1', 'Filter roast', 990, 3), product('p-2', 'Kettle', 3500, 0)], 30),
      'GET /catalog/api/categories/': () => page([]),
    })
    renderWithProviders(<CatalogPage />)

    const roast = (await screen.findByRole('heading', { name: 'Filter roast' })).closest('li')!
    expect(within(roast).getByText('€9.90')).toBeInTheDocument()
    expect(within(roast).getByText('Only 3 left')).toBeInTheDocument()
    expect(within(roast).getByRole('button', { name: 'Add to cart: Filter roast' })).toBeInTheDocument()
    const kettle = screen.getByRole('heading', { name: 'Kettle' }).closest('li')!
    expect(within(kettle).getByText('Out of stock')).toBeInTheDocument()
    expect(screen.getByText('30 products')).toHaveAttribute('role', 'status')
    expect(screen.getByRole('link', { name: 'Next' })).toHaveAttribute('href', '/?page=2')
  })

  it('searches and filters through the URL, with prices in minor units', async () => {
    const sent = stubApi({
      'GET /catalog/api/products/': () => page([]),
      'GET /catalog/api/categories/': () => page([]),
    })
    const { router } = renderWithProviders(<CatalogPage />)
    const user = userEvent.setup()

    await user.type(screen.getByRole('searchbox', { name: 'Search' }), 'roast')
    await user.type(screen.getByLabelText('Max price'), '12.50')
    await user.click(screen.getByLabelText('In stock only'))
    await user.selectOptions(screen.getByLabelText('Sort by'), 'Price, low to high')
    await user.click(screen.getByRole('button', { name: 'Search' }))

    expect(router.state.location.search).toBe('?search=roast&max_price=1250&in_stock=true&ordering=price')
    await screen.findByText('0 products')
    const last = sent.filter((request) => request.path === '/catalog/api/products/').at(-1)!
    expect(new URLSearchParams(last.search).get('max_price')).toBe('1250')
    expect(new URLSearchParams(last.search).get('search')).toBe('roast')
  })
})
