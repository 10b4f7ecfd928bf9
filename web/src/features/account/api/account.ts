import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, session } from '@/lib/api/client'
import type { components } from '@/lib/api/auth'
import { unwrap } from '@/lib/api/errors'

export type User = components['schemas']['UserOutput']
type SignIn = components['schemas']['SignInInputRequest']
type Registration = components['schemas']['RegisterInputRequest']
type ResetConfirmation = components['schemas']['PasswordResetConfirmInputRequest']
type PasswordChange = components['schemas']['PasswordChangeInputRequest']

const profileKey = ['account', 'me'] as const

export function useSignIn() {
  return useMutation({
    mutationFn: (credentials: SignIn) => unwrap(api.POST('/auth/api/token/', { body: credentials })),
    onSuccess: (tokens) => session.signIn(tokens),
  })
}

export function useSignUp() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (registration: Registration) => unwrap(api.POST('/auth/api/register/', { body: registration })),
    onSuccess: ({ access, refresh, user }) => {
      session.signIn({ access, refresh })
      queryClient.setQueryData(profileKey, user)
    },
  })
}

/** Verify the address with the emailed code; the answer's access token says it is verified. */
export function useVerifyEmail() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (code: string) => unwrap(api.POST('/auth/api/email/verify/', { body: { code } })),
    onSuccess: ({ access, user }) => {
      session.replaceAccess(access)
      queryClient.setQueryData(profileKey, user)
    },
  })
}

export function useResendCode() {
  return useMutation({
    mutationFn: () => unwrap(api.POST('/auth/api/email/verify/resend/')),
  })
}

export function useRequestPasswordReset() {
  return useMutation({
    mutationFn: (email: string) => unwrap(api.POST('/auth/api/password/reset/', { body: { email } })),
  })
}

export function useConfirmPasswordReset() {
  return useMutation({
    mutationFn: (confirmation: ResetConfirmation) =>
      unwrap(api.POST('/auth/api/password/reset/confirm/', { body: confirmation })),
  })
}

export function useProfile() {
  return useQuery({
    queryKey: profileKey,
    queryFn: ({ signal }) => unwrap(api.GET('/auth/api/me/', { signal })),
  })
}

export function useUpdateProfile() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (fullName: string) => unwrap(api.PATCH('/auth/api/me/', { body: { full_name: fullName } })),
    onSuccess: (user) => queryClient.setQueryData(profileKey, user),
  })
}

/** Change the password: every other session ends, and this one goes on with the new pair. */
export function useChangePassword() {
  return useMutation({
    mutationFn: (change: PasswordChange) => unwrap(api.POST('/auth/api/me/password/', { body: change })),
    onSuccess: (tokens) => session.signIn(tokens),
  })
}

/** Sign out here: the refresh token is revoked on the server, and the session forgotten in any case. */
export function useSignOut() {
  return useMutation({
    mutationFn: async () => {
      const refresh = session.refreshToken()
      if (refresh) await unwrap(api.POST('/auth/api/logout/', { body: { refresh, all: false } }))
    },
    onSettled: () => session.signOut(),
  })
}
