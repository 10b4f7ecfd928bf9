import { describe, expect, it, vi } from 'vitest'
import { createSession, type RefreshResult } from '@/lib/auth/session'
import { fakeToken } from '@/testing/render'
import { ApiError } from './errors'
import { authorizedFetch } from './fetch'

const API = 'http://shop.test'

function bearer(request: Request): string | null {
  return request.headers.get('Authorization')
}

describe('authorizedFetch', () => {
  it('makes concurrent requests refused with 401 wait for one refresh, then sends each again', async () => {
    const expired = fakeToken()
    const fresh = fakeToken()
    let answerRefresh!: (result: RefreshResult) => void
    const requestRefresh = vi.fn(() => new Promise<RefreshResult>((resolve) => (answerRefresh = resolve)))
    const session = createSession(window.sessionStorage, requestRefresh)
    session.signIn({ access: expired, refresh: 'r1' })

    const send = vi.fn(async (request: Request) =>
      bearer(request) === `Bearer ${fresh}`
        ? new Response(JSON.stringify({ path: new URL(request.url).pathname, body: await request.text() }))
        : new Response(null, { status: 401 }),
    )
    const fetch = authorizedFetch(session, send)

    const responses = Promise.all([
      fetch(new Request(`${API}/bank/api/accounts/`)),
      fetch(new Request(`${API}/orders/api/orders/`)),
      fetch(new Request(`${API}/bank/api/transfers/`, { method: 'POST', body: '{"amount":1}' })),
    ])
    await vi.waitFor(() => expect(requestRefresh).toHaveBeenCalledTimes(1))
    answerRefresh({ access: fresh, refresh: 'r2' })

    const bodies = await Promise.all((await responses).map((response) => response.json()))
    expect(requestRefresh).toHaveBeenCalledTimes(1)
    expect(bodies).toEqual([
      { path: '/bank/api/accounts/', body: '' },
      { path: '/orders/api/orders/', body: '' },
      { path: '/bank/api/transfers/', body: '{"amount":1}' },
    ])
    expect(send.mock.calls.map(([request]) => bearer(request))).toEqual([
      ...Array(3).fill(`Bearer ${expired}`),
      ...Array(3).fill(`Bearer ${fresh}`),
    ])
  })

  it('answers the 401 when the session cannot be refreshed', async () => {
    const session = createSession(window.sessionStorage, async () => 'rejected' as const)
    session.signIn({ access: fakeToken(), refresh: 'r1' })
    const send = vi.fn(async () => new Response(null, { status: 401 }))

    const response = await authorizedFetch(session, send)(new Request(`${API}/auth/api/me/`))

    expect(response.status).toBe(401)
    expect(send).toHaveBeenCalledTimes(1)
    expect(session.getState().status).toBe('signed-out')
  })

  it('sends no token to the credential endpoints, whose 401 is an answer', async () => {
    const requestRefresh = vi.fn()
    const session = createSession(window.sessionStorage, requestRefresh)
    session.signIn({ access: fakeToken(), refresh: 'r1' })
    const send = vi.fn<(request: Request) => Promise<Response>>(async () => new Response(null, { status: 401 }))

    await authorizedFetch(session, send)(new Request(`${API}/auth/api/token/`, { method: 'POST' }))

    expect(bearer(send.mock.calls[0]![0])).toBeNull()
    expect(requestRefresh).not.toHaveBeenCalled()
  })

  it('turns a request that reached nothing into a network_error', async () => {
    const session = createSession(window.sessionStorage, vi.fn())
    const send = vi.fn(async () => Promise.reject(new TypeError('Failed to fetch')))

    const sent = authorizedFetch(session, send)(new Request(`${API}/catalog/api/products/`))

    await expect(sent).rejects.toBeInstanceOf(ApiError)
    await expect(sent).rejects.toMatchObject({ code: 'network_error', status: 0 })
  })
})
