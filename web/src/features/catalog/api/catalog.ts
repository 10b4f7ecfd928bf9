import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { api } from '@/lib/api/client'
import type { components, paths } from '@/lib/api/catalog'
import { unwrap } from '@/lib/api/errors'

export type Product = components['schemas']['ProductOutput']
export type Category = components['schemas']['CategoryOutput']
export type ProductQuery = NonNullable<paths['/catalog/api/products/']['get']['parameters']['query']>
export type Ordering = NonNullable<ProductQuery['ordering']>
export type Currency = components['schemas']['CurrencyEnum']

export const CURRENCIES: readonly Currency[] = ['EUR', 'USD', 'GBP']

export const catalogKeys = {
  all: ['catalog'] as const,
  products: (query: ProductQuery) => ['catalog', 'products', query] as const,
  product: (id: string) => ['catalog', 'product', id] as const,
  categories: ['catalog', 'categories'] as const,
}

export function useProducts(query: ProductQuery) {
  return useQuery({
    queryKey: catalogKeys.products(query),
    queryFn: ({ signal }) => unwrap(api.GET('/catalog/api/products/', { params: { query }, signal })),
    placeholderData: keepPreviousData,
  })
}

export function useProduct(id: string) {
  return useQuery({
    queryKey: catalogKeys.product(id),
    queryFn: ({ signal }) =>
      unwrap(api.GET('/catalog/api/products/{product_id}/', { params: { path: { product_id: id } }, signal })),
  })
}

/** Every category (a shop has few: they are read a hundred at a time). */
export function useCategories() {
  return useQuery({
    queryKey: catalogKeys.categories,
    queryFn: async ({ signal }) => {
      const categories: Category[] = []
      for (let page = 1; ; page += 1) {
        const answer = await unwrap(
          api.GET('/catalog/api/categories/', { params: { query: { page, page_size: 100 } }, signal }),
        )
        categories.push(...answer.results)
        if (!answer.next) return categories
      }
    },
    staleTime: 5 * 60_000,
  })
}
