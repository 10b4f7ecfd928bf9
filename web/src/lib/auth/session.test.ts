import { describe, expect, it, vi } from 'vitest'
import { fakeToken } from '@/testing/render'
import { createSession, type RefreshResult } from './session'

function deferred<T>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((done) => (resolve = done))
  return { promise, resolve }
}

describe('session', () => {
  it('keeps the refresh token in storage and the access token in memory only', () => {
    const session = createSession(window.sessionStorage, vi.fn())
    const access = fakeToken({ email: 'ada@example.com' })
    session.signIn({ access, refresh: 'r1' })
    expect(window.sessionStorage.getItem('shop.refresh')).toBe('r1')
    expect(JSON.stringify(window.sessionStorage)).not.toContain(access)
    expect(session.accessToken()).toBe(access)
    expect(session.getState()).toMatchObject({ status: 'signed-in', claims: { email: 'ada@example.com' } })
  })

  it('runs one refresh for every caller that asks while it runs, and stores the rotated token', async () => {
    const answer = deferred<RefreshResult>()
    const requestRefresh = vi.fn(() => answer.promise)
    const session = createSession(window.sessionStorage, requestRefresh)
    const stale = fakeToken()
    session.signIn({ access: stale, refresh: 'r1' })

    const waiting = [session.refresh(stale), session.refresh(stale), session.refresh(stale)]
    const fresh = fakeToken()
    answer.resolve({ access: fresh, refresh: 'r2' })

    expect(await Promise.all(waiting)).toEqual([fresh, fresh, fresh])
    expect(requestRefresh).toHaveBeenCalledTimes(1)
    expect(requestRefresh).toHaveBeenCalledWith('r1')
    expect(window.sessionStorage.getItem('shop.refresh')).toBe('r2')
  })

  it('does not refresh again for a request refused with a token already replaced', async () => {
    const fresh = fakeToken()
    const requestRefresh = vi.fn(async () => ({ access: fresh, refresh: 'r2' }))
    const session = createSession(window.sessionStorage, requestRefresh)
    const stale = fakeToken()
    session.signIn({ access: stale, refresh: 'r1' })

    await session.refresh(stale)
    expect(await session.refresh(stale)).toBe(fresh)
    expect(requestRefresh).toHaveBeenCalledTimes(1)
  })

  it('signs out when the refresh token is refused', async () => {
    const session = createSession(window.sessionStorage, async () => 'rejected' as const)
    session.signIn({ access: fakeToken(), refresh: 'r1' })

    expect(await session.refresh(session.accessToken())).toBeNull()
    expect(session.getState()).toEqual({ status: 'signed-out', reason: 'expired' })
    expect(window.sessionStorage.getItem('shop.refresh')).toBeNull()
  })

  it('starts signed in from a stored refresh token, and signed out without one', async () => {
    window.sessionStorage.setItem('shop.refresh', 'r1')
    const resumed = createSession(window.sessionStorage, async () => ({ access: fakeToken(), refresh: 'r2' }))
    await resumed.start()
    expect(resumed.getState().status).toBe('signed-in')

    window.sessionStorage.clear()
    const fresh = createSession(window.sessionStorage, vi.fn())
    await fresh.start()
    expect(fresh.getState()).toEqual({ status: 'signed-out' })
  })
})
