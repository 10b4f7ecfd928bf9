import type { FormEvent } from 'react'
import { ErrorNotice, fieldErrors } from '@/components/ErrorNotice'
import { Field } from '@/components/Field'
import { SubmitButton } from '@/components/SubmitButton'
import { useChangePassword } from '../api/account'

export function PasswordChangeForm() {
  const change = useChangePassword()

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = event.currentTarget
    const data = new FormData(form)
    change.mutate(
      { old_password: String(data.get('old_password')), new_password: String(data.get('new_password')) },
      { onSuccess: () => form.reset() },
    )
  }

  return (
    <form className="panel" aria-labelledby="password-heading" onSubmit={submit}>
      <h2 id="password-heading">Change your password</h2>
      <Field label="Current password" errors={fieldErrors(change.error, 'old_password')}>
        {(control) => (
          <input {...control} name="old_password" type="password" autoComplete="current-password" required />
        )}
      </Field>
      <Field
        label="New password"
        hint="Every other device you are signed in on is signed out."
        errors={fieldErrors(change.error, 'new_password')}
      >
        {(control) => <input {...control} name="new_password" type="password" autoComplete="new-password" required />}
      </Field>
      <ErrorNotice error={change.error} fieldNames={['old_password', 'new_password']} />
      <SubmitButton pending={change.isPending} pendingLabel="Changing…">
        Change password
      </SubmitButton>
      <p role="status">{change.isSuccess && 'Your password has been changed.'}</p>
    </form>
  )
}
