/**
 * The client's routes. None starts with a gateway prefix (/auth/, /bank/, /catalog/, /orders/,
 * /payments/, /notifications/, /docs/, /health): the gateway sends those to the API.
 */
export const paths = {
  catalog: '/',
  product: (id: string) => `/products/${id}`,
  cart: '/cart',
  orders: '/me/orders',
  order: (id: string) => `/me/orders/${id}`,
  accounts: '/me/accounts',
  statement: (id: string) => `/me/accounts/${id}`,
  transfer: '/me/transfer',
  inbox: '/me/inbox',
  profile: '/me/profile',
  verifyEmail: '/me/verify',
  signIn: '/sign-in',
  signUp: '/sign-up',
  resetPassword: '/reset-password',
  staff: '/staff',
  staffCash: '/staff/cash',
  staffNewProduct: '/staff/products/new',
  staffEditProduct: (id: string) => `/staff/products/${id}`,
} as const

/** A path with `?next=` so that a sign-in or verification comes back to `next` afterwards. */
export function withNext(path: string, next: string): string {
  return `${path}?${new URLSearchParams({ next })}`
}

/** Only a path of this client is followed after a sign-in (never another site). */
export function safeNext(next: string | null, fallback: string = paths.catalog): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : fallback
}
