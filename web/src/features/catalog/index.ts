export { catalogKeys, CURRENCIES, useCategories, useProduct } from './api/catalog'
export type { Product } from './api/catalog'
