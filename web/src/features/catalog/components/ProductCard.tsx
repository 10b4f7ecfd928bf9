import { Link } from 'react-router'
import { paths } from '@/config/paths'
import { AddToCart } from '@/features/cart'
import { formatMoney } from '@/lib/money'
import type { Product } from '../api/catalog'
import { StockLabel } from './StockLabel'

export function ProductCard({ product }: { product: Product }) {
  return (
    <li className="card product-card">
      <h2 className="card-title">
        <Link to={paths.product(product.id)}>{product.name}</Link>
      </h2>
      {product.category && <p className="muted">{product.category.name}</p>}
      <p className="amount">{formatMoney(product.price, product.currency)}</p>
      <StockLabel product={product} />
      <AddToCart product={product} />
    </li>
  )
}
