import { useSearchParams } from 'react-router'
import { ErrorNotice } from '@/components/ErrorNotice'
import { Loading } from '@/components/Loading'
import { PageTitle } from '@/components/PageTitle'
import { Pagination, withPage } from '@/components/Pagination'
import { useCategories, useProducts } from '../api/catalog'
import { CatalogFilters } from '../components/CatalogFilters'
import { CategoryTree } from '../components/CategoryTree'
import { ProductCard } from '../components/ProductCard'
import { PAGE_SIZE, productQuery } from '../filters'

export default function CatalogPage() {
  const [params] = useSearchParams()
  const query = productQuery(params)
  const products = useProducts(query)
  const categories = useCategories()

  return (
    <div className="catalog">
      <div className="catalog-header">
        <PageTitle>Catalog</PageTitle>
        <CatalogFilters />
      </div>
      <aside className="catalog-aside">{categories.isSuccess && <CategoryTree categories={categories.data} />}</aside>
      <section className="catalog-results" aria-labelledby="results-heading">
        <h2 id="results-heading" className="visually-hidden">
          Products
        </h2>
        {products.isPending ? (
          <Loading />
        ) : products.isError ? (
          <ErrorNotice error={products.error} />
        ) : (
          <>
            <p role="status" className="muted">
              {products.data.count === 1 ? '1 product' : `${products.data.count} products`}
            </p>
            <ul className="cards product-grid">
              {products.data.results.map((product) => (
                <ProductCard key={product.id} product={product} />
              ))}
            </ul>
            <Pagination
              page={query.page ?? 1}
              count={products.data.count}
              pageSize={PAGE_SIZE}
              hrefFor={(page) => withPage(params, page)}
            />
          </>
        )}
      </section>
    </div>
  )
}
