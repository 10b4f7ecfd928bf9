import type { FormEvent } from 'react'
import { Link, useNavigate, useSearchParams } from 'react-router'
import { ErrorNotice, fieldErrors } from '@/components/ErrorNotice'
import { Field } from '@/components/Field'
import { PageTitle } from '@/components/PageTitle'
import { SubmitButton } from '@/components/SubmitButton'
import { paths, safeNext, withNext } from '@/config/paths'
import { useSignUp } from '../api/account'

const FIELDS = ['email', 'full_name', 'password'] as const

export default function SignUpPage() {
  const signUp = useSignUp()
  const navigate = useNavigate()
  const [params] = useSearchParams()
  const next = safeNext(params.get('next'))

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    signUp.mutate(
      {
        email: String(form.get('email')),
        full_name: String(form.get('full_name')),
        password: String(form.get('password')),
      },
      { onSuccess: () => void navigate(withNext(paths.verifyEmail, next), { replace: true }) },
    )
  }

  return (
    <div className="narrow">
      <PageTitle>Create an account</PageTitle>
      <form className="panel" onSubmit={submit} aria-label="Create an account">
        <Field label="Email" errors={fieldErrors(signUp.error, 'email')}>
          {(control) => <input {...control} name="email" type="email" autoComplete="email" required />}
        </Field>
        <Field label="Full name (optional)" errors={fieldErrors(signUp.error, 'full_name')}>
          {(control) => <input {...control} name="full_name" autoComplete="name" />}
        </Field>
        <Field
          label="Password"
          hint="A long passphrase that is not used elsewhere."
          errors={fieldErrors(signUp.error, 'password')}
        >
          {(control) => <input {...control} name="password" type="password" autoComplete="new-password" required />}
        </Field>
        <ErrorNotice error={signUp.error} fieldNames={FIELDS} />
        <SubmitButton pending={signUp.isPending} pendingLabel="Creating your account…">
          Create account
        </SubmitButton>
      </form>
      <p>
        Already have an account? <Link to={withNext(paths.signIn, next)}>Sign in</Link>
      </p>
    </div>
  )
}
