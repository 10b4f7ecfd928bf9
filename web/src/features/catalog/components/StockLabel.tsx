import type { Product } from '../api/catalog'

export function StockLabel({ product }: { product: Product }) {
  if (!product.in_stock) return <span className="stock stock-out">Out of stock</span>
  if (product.low_stock) return <span className="stock stock-low">Only {product.stock} left</span>
  return <span className="stock">In stock</span>
}
