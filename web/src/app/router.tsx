import type { ComponentType } from 'react'
import { createBrowserRouter, type RouteObject } from 'react-router'
import { Loading } from '@/components/Loading'
import { RequireSignIn, RequireStaff } from './guards'
import { Layout } from './Layout'
import { NotFound } from './NotFound'
import { RouteError } from './RouteError'

/** A page loaded on first visit: every page is a chunk of its own. */
function page(load: () => Promise<{ default: ComponentType }>): Pick<RouteObject, 'lazy'> {
  return { lazy: async () => ({ Component: (await load()).default }) }
}

export const routes: RouteObject[] = [
  {
    element: <Layout />,
    HydrateFallback: Loading,
    children: [
      {
        errorElement: <RouteError />,
        children: [
          { index: true, ...page(() => import('@/features/catalog/routes/CatalogPage')) },
          { path: 'products/:productId', ...page(() => import('@/features/catalog/routes/ProductPage')) },
          { path: 'cart', ...page(() => import('@/features/cart/routes/CartPage')) },
          { path: 'sign-in', ...page(() => import('@/features/account/routes/SignInPage')) },
          { path: 'sign-up', ...page(() => import('@/features/account/routes/SignUpPage')) },
          { path: 'reset-password', ...page(() => import('@/features/account/routes/ResetPasswordPage')) },
          {
            path: 'me',
            element: <RequireSignIn />,
            children: [
              { path: 'orders', ...page(() => import('@/features/orders/routes/OrdersPage')) },
              { path: 'orders/:orderId', ...page(() => import('@/features/orders/routes/OrderPage')) },
              { path: 'accounts', ...page(() => import('@/features/bank/routes/AccountsPage')) },
              { path: 'accounts/:accountId', ...page(() => import('@/features/bank/routes/StatementPage')) },
              { path: 'transfer', ...page(() => import('@/features/bank/routes/TransferPage')) },
              { path: 'inbox', ...page(() => import('@/features/notifications/routes/InboxPage')) },
              { path: 'profile', ...page(() => import('@/features/account/routes/ProfilePage')) },
              { path: 'verify', ...page(() => import('@/features/account/routes/VerifyEmailPage')) },
            ],
          },
          {
            path: 'staff',
            element: <RequireStaff />,
            children: [
              { index: true, ...page(() => import('@/features/staff/routes/StaffPage')) },
              { path: 'cash', ...page(() => import('@/features/staff/routes/CashPage')) },
              { path: 'products/new', ...page(() => import('@/features/staff/routes/ProductFormPage')) },
              { path: 'products/:productId', ...page(() => import('@/features/staff/routes/ProductFormPage')) },
            ],
          },
          { path: '*', element: <NotFound /> },
        ],
      },
    ],
  },
]

export function createRouter() {
  return createBrowserRouter(routes)
}
