import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render } from '@testing-library/react'
import type { ReactElement } from 'react'
import { createMemoryRouter, RouterProvider } from 'react-router'

interface Options {
  /** The route pattern the element is rendered at (e.g. "/me/orders/:orderId"); any by default. */
  path?: string
  /** The URL the test starts at: the path by default. */
  url?: string
  /** Other routes the element may navigate to, shown as a heading naming them. */
  elsewhere?: string[]
}

/** Render a page or component as the app does: with a query client and a router. */
export function renderWithProviders(
  element: ReactElement,
  { path = '*', url = path === '*' ? '/' : path, elsewhere = [] }: Options = {},
) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } })
  const router = createMemoryRouter(
    [{ path, element }, ...elsewhere.map((route) => ({ path: route, element: <h1>Arrived at {route}</h1> }))],
    { initialEntries: [url] },
  )
  const result = render(
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  )
  return { ...result, router, queryClient }
}

/** An unsigned JWT carrying `claims` (the client only reads tokens; the services verify them). */
export function fakeToken(claims: Record<string, unknown> = {}): string {
  const encode = (value: object) =>
    btoa(JSON.stringify(value)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')
  const payload = {
    user_id: 'u-1',
    email: 'ada@example.com',
    email_verified: true,
    roles: ['customer'],
    exp: Math.floor(Date.now() / 1000) + 300,
    jti: crypto.getRandomValues(new Uint32Array(1))[0],
    ...claims,
  }
  return `${encode({ alg: 'RS256', typ: 'at+jwt' })}.${encode(payload)}.signature`
}
