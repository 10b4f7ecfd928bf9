import type { FormEvent } from 'react'
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router'
import { ErrorNotice, fieldErrors } from '@/components/ErrorNotice'
import { Field } from '@/components/Field'
import { PageTitle } from '@/components/PageTitle'
import { SubmitButton } from '@/components/SubmitButton'
import { paths, safeNext, withNext } from '@/config/paths'
import { useSession } from '@/lib/auth/useSession'
import { useSignIn } from '../api/account'

export default function SignInPage() {
  const signIn = useSignIn()
  const navigate = useNavigate()
  const session = useSession()
  const [params] = useSearchParams()
  const notice = (useLocation().state as { notice?: string } | null)?.notice
  const next = safeNext(params.get('next'))

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    signIn.mutate(
      { email: String(form.get('email')), password: String(form.get('password')) },
      { onSuccess: () => void navigate(next, { replace: true }) },
    )
  }

  return (
    <div className="narrow">
      <PageTitle>Sign in</PageTitle>
      {notice && (
        <p className="notice notice-success" role="status">
          {notice}
        </p>
      )}
      {session.status === 'signed-out' && session.reason === 'expired' && (
        <p className="notice" role="status">
          Your session has ended. Please sign in again.
        </p>
      )}
      <form className="panel" onSubmit={submit} aria-label="Sign in">
        <Field label="Email" errors={fieldErrors(signIn.error, 'email')}>
          {(control) => <input {...control} name="email" type="email" autoComplete="email" required />}
        </Field>
        <Field label="Password" errors={fieldErrors(signIn.error, 'password')}>
          {(control) => <input {...control} name="password" type="password" autoComplete="current-password" required />}
        </Field>
        <ErrorNotice error={signIn.error} fieldNames={['email', 'password']} />
        <SubmitButton pending={signIn.isPending} pendingLabel="Signing in…">
          Sign in
        </SubmitButton>
      </form>
      <p>
        <Link to={paths.resetPassword}>Forgot your password?</Link> · New here?{' '}
        <Link to={withNext(paths.signUp, next)}>Create an account</Link>
      </p>
    </div>
  )
}
