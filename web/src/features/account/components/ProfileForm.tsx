import type { FormEvent } from 'react'
import { ErrorNotice, fieldErrors } from '@/components/ErrorNotice'
import { Field } from '@/components/Field'
import { SubmitButton } from '@/components/SubmitButton'
import { useUpdateProfile, type User } from '../api/account'

export function ProfileForm({ user }: { user: User }) {
  const update = useUpdateProfile()

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    update.mutate(String(new FormData(event.currentTarget).get('full_name')))
  }

  return (
    <form className="panel" aria-labelledby="name-heading" onSubmit={submit}>
      <h2 id="name-heading">Your name</h2>
      <Field label="Full name" errors={fieldErrors(update.error, 'full_name')}>
        {(control) => <input {...control} name="full_name" defaultValue={user.full_name} autoComplete="name" />}
      </Field>
      <ErrorNotice error={update.error} fieldNames={['full_name']} />
      <SubmitButton pending={update.isPending} pendingLabel="Saving…">
        Save
      </SubmitButton>
      <p role="status">{update.isSuccess && 'Saved.'}</p>
    </form>
  )
}
