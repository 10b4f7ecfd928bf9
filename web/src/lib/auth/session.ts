import { decodeClaims, type Claims } from './claims'

export interface TokenPair {
  access: string
  refresh: string
}

/** What the auth service said to a refresh: a new pair, or that the refresh token is no good. */
export type RefreshResult = TokenPair | 'rejected'

export type SessionState =
  { status: 'starting' } | { status: 'signed-out'; reason?: 'expired' } | { status: 'signed-in'; claims: Claims }

export interface Session {
  getState(): SessionState
  subscribe(listener: () => void): () => void
  /** The access token to send, or null when signed out. */
  accessToken(): string | null
  signIn(tokens: TokenPair): void
  /** A new access token for the same session (email verification answers one). */
  replaceAccess(access: string): void
  signOut(reason?: 'expired'): void
  /** The refresh token, for signing out on the server. */
  refreshToken(): string | null
  /**
   * A fresh access token, replacing `stale` (the one a request was refused with). Exactly one
   * refresh runs at a time: callers that arrive meanwhile wait for the same one, and a caller whose
   * token was already replaced gets the new one without refreshing again. The auth service rotates
   * refresh tokens and ends the session when a rotated one is used twice, so two refreshes with
   * the same token would sign the user out.
   */
  refresh(stale?: string | null): Promise<string | null>
  /** On start-up: turn a stored refresh token into a session, or settle as signed out. */
  start(): Promise<void>
}

const REFRESH_KEY = 'shop.refresh'

export function createSession(storage: Storage, requestRefresh: (refresh: string) => Promise<RefreshResult>): Session {
  let access: string | null = null
  let state: SessionState = { status: 'starting' }
  let refreshing: Promise<string | null> | null = null
  const listeners = new Set<() => void>()

  function setState(next: SessionState) {
    state = next
    listeners.forEach((listener) => listener())
  }

  function accept(token: string): boolean {
    const claims = decodeClaims(token)
    if (!claims) return false
    access = token
    setState({ status: 'signed-in', claims })
    return true
  }

  function signOut(reason?: 'expired') {
    access = null
    storage.removeItem(REFRESH_KEY)
    setState(reason ? { status: 'signed-out', reason } : { status: 'signed-out' })
  }

  async function runRefresh(): Promise<string | null> {
    const stored = storage.getItem(REFRESH_KEY)
    if (!stored) {
      signOut()
      return null
    }
    const result = await requestRefresh(stored)
    if (result === 'rejected') {
      signOut('expired')
      return null
    }
    storage.setItem(REFRESH_KEY, result.refresh)
    return accept(result.access) ? result.access : null
  }

  const session: Session = {
    getState: () => state,
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    accessToken: () => access,
    refreshToken: () => storage.getItem(REFRESH_KEY),
    signIn(tokens) {
      storage.setItem(REFRESH_KEY, tokens.refresh)
      accept(tokens.access)
    },
    replaceAccess(token) {
      accept(token)
    },
    signOut,
    refresh(stale = null) {
      if (refreshing) return refreshing
      if (access !== null && access !== stale) return Promise.resolve(access)
      refreshing = runRefresh().finally(() => {
        refreshing = null
      })
      return refreshing
    },
    async start() {
      if (storage.getItem(REFRESH_KEY)) {
        // A network failure leaves the stored token for the next try; signed out for now.
        await session.refresh().catch(() => setState({ status: 'signed-out' }))
      } else {
        setState({ status: 'signed-out' })
      }
    },
  }
  return session
}
