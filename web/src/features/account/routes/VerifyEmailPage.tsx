import type { FormEvent } from 'react'
import { Link, useNavigate, useSearchParams } from 'react-router'
import { ErrorNotice, fieldErrors } from '@/components/ErrorNotice'
import { Field } from '@/components/Field'
import { PageTitle } from '@/components/PageTitle'
import { SubmitButton } from '@/components/SubmitButton'
import { paths, safeNext } from '@/config/paths'
import { useClaims } from '@/lib/auth/useSession'
import { useResendCode, useVerifyEmail } from '../api/account'

export default function VerifyEmailPage() {
  const claims = useClaims()
  const verify = useVerifyEmail()
  const resend = useResendCode()
  const navigate = useNavigate()
  const [params] = useSearchParams()
  const next = safeNext(params.get('next'), paths.profile)

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    verify.mutate(String(new FormData(event.currentTarget).get('code')).trim(), {
      onSuccess: () => void navigate(next, { replace: true }),
    })
  }

  if (claims?.email_verified && !verify.isSuccess) {
    return (
      <div className="narrow">
        <PageTitle>Email verified</PageTitle>
        <p>
          Your email address {claims.email} is verified. <Link to={next}>Continue</Link>
        </p>
      </div>
    )
  }
  return (
    <div className="narrow">
      <PageTitle>Verify your email</PageTitle>
      <p>We emailed a 6-digit code to {claims?.email}. It is valid for 15 minutes.</p>
      <form className="panel" onSubmit={submit} aria-label="Verify your email">
        <Field label="Code" errors={fieldErrors(verify.error, 'code')}>
          {(control) => (
            <input
              {...control}
              name="code"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]{6}"
              maxLength={6}
              required
            />
          )}
        </Field>
        <ErrorNotice error={verify.error} fieldNames={['code']} />
        <SubmitButton pending={verify.isPending} pendingLabel="Verifying…">
          Verify
        </SubmitButton>
      </form>
      <p>
        No email?{' '}
        <button type="button" className="link-button" disabled={resend.isPending} onClick={() => resend.mutate()}>
          Send a new code
        </button>
      </p>
      <p role="status">{resend.isSuccess && 'A new code is on its way; the previous one no longer works.'}</p>
      <ErrorNotice error={resend.error} />
    </div>
  )
}
