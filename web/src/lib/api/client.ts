import createClient from 'openapi-fetch'
import { createSession, type RefreshResult } from '@/lib/auth/session'
import type { paths as AuthPaths } from './auth'
import type { paths as BankPaths } from './bank'
import type { paths as CatalogPaths } from './catalog'
import { ApiError } from './errors'
import { authorizedFetch } from './fetch'
import type { paths as NotificationsPaths } from './notifications'
import type { paths as OrdersPaths } from './orders'
import type { paths as PaymentsPaths } from './payments'

/** Every public operation of the six services, by their path through the gateway. */
export type Paths = AuthPaths & BankPaths & CatalogPaths & OrdersPaths & PaymentsPaths & NotificationsPaths

/** The gateway: this page's own origin, unless VITE_API_BASE_URL names another (for `npm run dev`). */
export const apiBaseUrl = (import.meta.env.VITE_API_BASE_URL ?? window.location.origin).replace(/\/+$/, '')

/**
 * The signed-in session. The refresh token is kept in sessionStorage: a reload of the tab finds it,
 * other tabs and a restarted browser do not (see web/README.md).
 */
export const session = createSession(window.sessionStorage, requestRefresh)

/** The one client of the API: typed from the services' OpenAPI documents, authorized by the session. */
export const api = createClient<Paths>({
  baseUrl: apiBaseUrl,
  fetch: authorizedFetch(session, (request) => globalThis.fetch(request)),
})

async function requestRefresh(refresh: string): Promise<RefreshResult> {
  const { data, error, response } = await api.POST('/auth/api/token/refresh/', { body: { refresh } })
  if (data) return data
  if (response.status === 400 || response.status === 401) return 'rejected'
  throw ApiError.fromResponse(response, error)
}
