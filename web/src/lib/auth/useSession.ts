import { useSyncExternalStore } from 'react'
import { session } from '@/lib/api/client'
import { isStaff, type Claims } from './claims'
import type { SessionState } from './session'

export function useSession(): SessionState {
  return useSyncExternalStore(session.subscribe, session.getState)
}

/** The signed-in user's claims, or null. */
export function useClaims(): Claims | null {
  const state = useSession()
  return state.status === 'signed-in' ? state.claims : null
}

export function useIsStaff(): boolean {
  return isStaff(useClaims())
}
