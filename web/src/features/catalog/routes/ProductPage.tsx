import { Link, useParams } from 'react-router'
import { ErrorNotice } from '@/components/ErrorNotice'
import { Loading } from '@/components/Loading'
import { PageTitle } from '@/components/PageTitle'
import { paths } from '@/config/paths'
import { AddToCart } from '@/features/cart'
import { isApiError } from '@/lib/api/errors'
import { useIsStaff } from '@/lib/auth/useSession'
import { formatMoney } from '@/lib/money'
import { useProduct } from '../api/catalog'
import { StockLabel } from '../components/StockLabel'

export default function ProductPage() {
  const { productId = '' } = useParams()
  const product = useProduct(productId)
  const staff = useIsStaff()

  if (product.isPending) return <Loading />
  if (isApiError(product.error) && product.error.status === 404) {
    return (
      <>
        <PageTitle>Product not found</PageTitle>
        <p>
          This product does not exist or is no longer on sale. <Link to={paths.catalog}>Back to the catalog</Link>
        </p>
      </>
    )
  }
  if (product.isError) return <ErrorNotice error={product.error} />
  const current = product.data
  return (
    <article className="product">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to={paths.catalog}>Catalog</Link>
        {current.category && (
          <>
            {' › '}
            <Link to={`${paths.catalog}?category=${current.category.id}`}>{current.category.name}</Link>
          </>
        )}
      </nav>
      <PageTitle>{current.name}</PageTitle>
      {current.image_url && <img className="product-image" src={current.image_url} alt={current.name} />}
      <p className="amount amount-large">{formatMoney(current.price, current.currency)}</p>
      <p>
        <StockLabel product={current} />
        {!current.is_active && <span className="status status-cancelled">Not on sale</span>}
      </p>
      {current.description && <p className="description">{current.description}</p>}
      <p className="muted">SKU {current.sku}</p>
      <AddToCart product={current} withQuantity />
      {staff && (
        <p>
          <Link to={paths.staffEditProduct(current.id)}>Edit this product</Link>
        </p>
      )}
    </article>
  )
}
