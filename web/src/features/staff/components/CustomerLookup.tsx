import { useState, type FormEvent } from 'react'
import { ErrorNotice } from '@/components/ErrorNotice'
import { Field } from '@/components/Field'
import { Loading } from '@/components/Loading'
import { accountLabel, useAccounts, type Account } from '@/features/bank'
import { useFindUsers } from '../api/staff'

interface CustomerLookupProps {
  onChoose: (account: Account) => void
}

/** Find a customer by email or name (admins), then one of their accounts. */
export function CustomerLookup({ onChoose }: CustomerLookupProps) {
  const [search, setSearch] = useState('')
  const users = useFindUsers(search)

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    setSearch(String(new FormData(event.currentTarget).get('customer')).trim())
  }

  return (
    <section className="panel" aria-labelledby="lookup-heading">
      <h2 id="lookup-heading">Find the account</h2>
      <form className="inline-form" role="search" aria-label="Customers" onSubmit={submit}>
        <Field label="Customer email or name">
          {(control) => <input {...control} name="customer" type="search" required />}
        </Field>
        <button type="submit" className="button button-secondary">
          Find
        </button>
      </form>
      {users.isFetching && <Loading />}
      <ErrorNotice error={users.error} />
      {users.data?.results.length === 0 && <p>No customer matches.</p>}
      <ul className="rows">
        {users.data?.results.map((user) => (
          <li key={user.id}>
            <strong>{user.email}</strong> {user.full_name}
            <CustomerAccounts ownerId={user.id} onChoose={onChoose} />
          </li>
        ))}
      </ul>
    </section>
  )
}

function CustomerAccounts({ ownerId, onChoose }: { ownerId: string } & CustomerLookupProps) {
  const accounts = useAccounts({ owner_id: ownerId, page_size: 100 })
  if (accounts.isPending) return <Loading />
  if (accounts.isError) return <ErrorNotice error={accounts.error} />
  if (accounts.data.results.length === 0) return <p className="muted">No account.</p>
  return (
    <ul className="link-list">
      {accounts.data.results.map((account) => (
        <li key={account.id}>
          <button type="button" className="link-button" onClick={() => onChoose(account)}>
            Use account {accountLabel(account)}
          </button>
        </li>
      ))}
    </ul>
  )
}
