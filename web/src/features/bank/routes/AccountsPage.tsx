import { Link } from 'react-router'
import { ErrorNotice } from '@/components/ErrorNotice'
import { Loading } from '@/components/Loading'
import { PageTitle } from '@/components/PageTitle'
import { paths } from '@/config/paths'
import { useAccounts } from '../api/bank'
import { AccountList } from '../components/AccountList'
import { OpenAccountForm } from '../components/OpenAccountForm'

export default function AccountsPage() {
  const accounts = useAccounts()
  return (
    <>
      <PageTitle>Bank accounts</PageTitle>
      <p>
        <Link to={paths.transfer} className="button button-secondary">
          Transfer money
        </Link>
      </p>
      {accounts.isPending ? (
        <Loading />
      ) : accounts.isError ? (
        <ErrorNotice error={accounts.error} />
      ) : (
        <AccountList accounts={accounts.data.results} />
      )}
      <OpenAccountForm />
    </>
  )
}
