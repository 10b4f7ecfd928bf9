import { useState, type FormEvent } from 'react'
import { Link, useNavigate } from 'react-router'
import { ErrorNotice, fieldErrors } from '@/components/ErrorNotice'
import { Field } from '@/components/Field'
import { PageTitle } from '@/components/PageTitle'
import { SubmitButton } from '@/components/SubmitButton'
import { paths } from '@/config/paths'
import { useConfirmPasswordReset, useRequestPasswordReset } from '../api/account'

/** Two steps: an emailed code for the address, then the code with a new password. */
export default function ResetPasswordPage() {
  const [email, setEmail] = useState<string | null>(null)
  return (
    <div className="narrow">
      <PageTitle>Reset your password</PageTitle>
      {email === null ? <RequestCode onSent={setEmail} /> : <ChooseNewPassword email={email} />}
    </div>
  )
}

function RequestCode({ onSent }: { onSent: (email: string) => void }) {
  const request = useRequestPasswordReset()

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const email = String(new FormData(event.currentTarget).get('email'))
    request.mutate(email, { onSuccess: () => onSent(email) })
  }

  return (
    <form className="panel" onSubmit={submit} aria-label="Ask for a reset code">
      <p>Enter the address you signed up with: if it has an account, we email it a 6-digit code.</p>
      <Field label="Email" errors={fieldErrors(request.error, 'email')}>
        {(control) => <input {...control} name="email" type="email" autoComplete="email" required />}
      </Field>
      <ErrorNotice error={request.error} fieldNames={['email']} />
      <SubmitButton pending={request.isPending} pendingLabel="Sending…">
        Email me a code
      </SubmitButton>
    </form>
  )
}

function ChooseNewPassword({ email }: { email: string }) {
  const confirm = useConfirmPasswordReset()
  const navigate = useNavigate()

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    confirm.mutate(
      { email, code: String(form.get('code')).trim(), new_password: String(form.get('new_password')) },
      {
        onSuccess: () =>
          void navigate(paths.signIn, { state: { notice: 'Your password has been changed. Sign in with it.' } }),
      },
    )
  }

  return (
    <form className="panel" onSubmit={submit} aria-label="Choose a new password">
      <p role="status">If {email} has an account, a code is on its way there.</p>
      <Field label="Code" errors={fieldErrors(confirm.error, 'code')}>
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
      <Field label="New password" errors={fieldErrors(confirm.error, 'new_password')}>
        {(control) => <input {...control} name="new_password" type="password" autoComplete="new-password" required />}
      </Field>
      <ErrorNotice error={confirm.error} fieldNames={['code', 'new_password']} />
      <SubmitButton pending={confirm.isPending} pendingLabel="Saving…">
        Set new password
      </SubmitButton>
      <p>
        <Link to={paths.signIn}>Back to sign in</Link>
      </p>
    </form>
  )
}
