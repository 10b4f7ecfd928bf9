import { Link } from 'react-router'
import { ErrorNotice } from '@/components/ErrorNotice'
import { Loading } from '@/components/Loading'
import { PageTitle } from '@/components/PageTitle'
import { paths } from '@/config/paths'
import { useAccounts } from '../api/bank'
import { TransferForm } from '../components/TransferForm'

export default function TransferPage() {
  const accounts = useAccounts()
  return (
    <>
      <PageTitle>Transfer money</PageTitle>
      {accounts.isPending ? (
        <Loading />
      ) : accounts.isError ? (
        <ErrorNotice error={accounts.error} />
      ) : accounts.data.results.some((account) => account.status === 'active') ? (
        <TransferForm accounts={accounts.data.results} />
      ) : (
        <p>
          You need an active account to send money from. <Link to={paths.accounts}>Open one</Link>
        </p>
      )}
    </>
  )
}
