import type { FormEvent } from 'react'
import { ErrorNotice, fieldErrors } from '@/components/ErrorNotice'
import { Field } from '@/components/Field'
import { SubmitButton } from '@/components/SubmitButton'
import { CURRENCIES, useOpenAccount, type Currency } from '../api/bank'

export function OpenAccountForm() {
  const open = useOpenAccount()

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    open.mutate(new FormData(event.currentTarget).get('currency') as Currency)
  }

  return (
    <form className="panel" aria-labelledby="open-account" onSubmit={submit}>
      <h2 id="open-account">Open an account</h2>
      <Field label="Currency" errors={fieldErrors(open.error, 'currency')}>
        {(control) => (
          <select {...control} name="currency" defaultValue="EUR">
            {CURRENCIES.map((currency) => (
              <option key={currency}>{currency}</option>
            ))}
          </select>
        )}
      </Field>
      <ErrorNotice error={open.error} fieldNames={['currency']} />
      <SubmitButton pending={open.isPending}>Open account</SubmitButton>
      <p role="status">{open.data && `Account ${open.data.number} is open.`}</p>
    </form>
  )
}
