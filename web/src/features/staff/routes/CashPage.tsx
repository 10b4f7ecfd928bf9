import { useState } from 'react'
import { PageTitle } from '@/components/PageTitle'
import type { Account } from '@/features/bank'
import { CashForm } from '../components/CashForm'
import { CustomerLookup } from '../components/CustomerLookup'

export default function CashPage() {
  const [account, setAccount] = useState<Account | null>(null)
  return (
    <>
      <PageTitle>Deposits and withdrawals</PageTitle>
      <CustomerLookup onChoose={setAccount} />
      {account ? <CashForm key={account.id} account={account} /> : <p>Choose an account to post to.</p>}
    </>
  )
}
