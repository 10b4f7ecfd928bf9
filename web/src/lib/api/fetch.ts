import type { Session } from '@/lib/auth/session'
import { ApiError } from './errors'

/** The credential endpoints: they take no bearer token, and their 401 is an answer, not an expiry. */
const CREDENTIALS = /^\/auth\/api\/(register|token|token\/refresh|password\/reset|password\/reset\/confirm)\/$/

/**
 * A fetch that sends the session's access token and, when a request is refused with 401, refreshes
 * the session once (shared by every request refused meanwhile) and sends the request again.
 * A request that cannot reach the API at all throws an ApiError with code `network_error`.
 */
export function authorizedFetch(session: Session, send: (request: Request) => Promise<Response>) {
  return async function fetchWithSession(request: Request): Promise<Response> {
    if (CREDENTIALS.test(new URL(request.url).pathname)) return reach(send, request)
    const token = session.accessToken()
    if (token === null) return reach(send, request)
    const again = request.clone()
    const response = await reach(send, withBearer(request, token))
    if (response.status !== 401) return response
    const fresh = await session.refresh(token)
    return fresh === null ? response : reach(send, withBearer(again, fresh))
  }
}

function withBearer(request: Request, token: string): Request {
  const authorized = new Request(request)
  authorized.headers.set('Authorization', `Bearer ${token}`)
  return authorized
}

async function reach(send: (request: Request) => Promise<Response>, request: Request): Promise<Response> {
  try {
    return await send(request)
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error
    throw ApiError.network()
  }
}
