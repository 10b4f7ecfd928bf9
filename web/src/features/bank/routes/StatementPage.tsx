import type { FormEvent } from 'react'
import { Link, useParams, useSearchParams } from 'react-router'
import { ErrorNotice } from '@/components/ErrorNotice'
import { Field } from '@/components/Field'
import { Loading } from '@/components/Loading'
import { PageTitle } from '@/components/PageTitle'
import { pageOf, Pagination, withPage } from '@/components/Pagination'
import { paths } from '@/config/paths'
import { formatMoney } from '@/lib/money'
import { useAccount, useStatement, type StatementQuery } from '../api/bank'
import { StatementTable } from '../components/StatementTable'

const PAGE_SIZE = 20
const KINDS = ['deposit', 'withdrawal', 'transfer', 'payment', 'refund', 'reversal'] as const

function statementQuery(params: URLSearchParams): StatementQuery {
  const kind = KINDS.find((candidate) => candidate === params.get('kind'))
  return {
    page: pageOf(params),
    page_size: PAGE_SIZE,
    ...(params.get('date_from') && { date_from: params.get('date_from')! }),
    ...(params.get('date_to') && { date_to: params.get('date_to')! }),
    ...(kind && { kind }),
  }
}

export default function StatementPage() {
  const { accountId = '' } = useParams()
  const [params, setParams] = useSearchParams()
  const account = useAccount(accountId)
  const query = statementQuery(params)
  const statement = useStatement(accountId, query)

  function filter(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    const next = new URLSearchParams()
    for (const name of ['date_from', 'date_to', 'kind']) {
      const value = String(form.get(name) ?? '')
      if (value) next.set(name, value)
    }
    setParams(next)
  }

  if (account.isPending) return <Loading />
  if (account.isError) return <ErrorNotice error={account.error} />
  const { number, balance, currency, status } = account.data
  return (
    <>
      <PageTitle>{`Account ${number}`}</PageTitle>
      <p className="amount">
        Balance: {formatMoney(balance, currency)} <span className="muted">({status})</span>
      </p>
      <p className="muted">
        Account ID, for transfers to it: <code>{accountId}</code>
      </p>
      <p>
        <Link to={paths.accounts}>All accounts</Link> · <Link to={paths.transfer}>Transfer money</Link>
      </p>
      <form className="filters" aria-label="Filter the statement" onSubmit={filter}>
        <Field label="From">
          {(control) => <input {...control} type="date" name="date_from" defaultValue={query.date_from} />}
        </Field>
        <Field label="To">
          {(control) => <input {...control} type="date" name="date_to" defaultValue={query.date_to} />}
        </Field>
        <Field label="Kind">
          {(control) => (
            <select {...control} name="kind" defaultValue={query.kind ?? ''}>
              <option value="">Any</option>
              {KINDS.map((kind) => (
                <option key={kind}>{kind}</option>
              ))}
            </select>
          )}
        </Field>
        <button type="submit" className="button button-secondary">
          Show
        </button>
      </form>
      {statement.isPending ? (
        <Loading />
      ) : statement.isError ? (
        <ErrorNotice error={statement.error} />
      ) : (
        <>
          <StatementTable lines={statement.data.results} currency={currency} />
          <Pagination
            page={query.page ?? 1}
            count={statement.data.count}
            pageSize={PAGE_SIZE}
            hrefFor={(page) => withPage(params, page)}
          />
        </>
      )}
    </>
  )
}
