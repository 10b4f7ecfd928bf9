import { Link } from 'react-router'
import { PageTitle } from '@/components/PageTitle'
import { paths } from '@/config/paths'
import { apiBaseUrl } from '@/lib/api/client'

const ADMINS = [
  ['auth', 'Users and roles'],
  ['bank', 'Accounts and ledger'],
  ['catalog', 'Products and categories'],
  ['orders', 'Orders'],
  ['payments', 'Payments and refunds'],
  ['notifications', 'Notifications and emails'],
] as const

export default function StaffPage() {
  return (
    <>
      <PageTitle>Staff</PageTitle>
      <ul className="cards">
        <li className="card">
          <h2 className="card-title">
            <Link to={paths.staffCash}>Deposits and withdrawals</Link>
          </h2>
          <p className="muted">Cash paid in or out at the counter.</p>
        </li>
        <li className="card">
          <h2 className="card-title">
            <Link to={paths.staffNewProduct}>New product</Link>
          </h2>
          <p className="muted">Products are edited from their own page.</p>
        </li>
      </ul>
      <section aria-labelledby="admins-heading">
        <h2 id="admins-heading">Admins</h2>
        <p>Each service's Django admin; sign in with your shop email and password.</p>
        <ul className="link-list">
          {ADMINS.map(([prefix, what]) => (
            <li key={prefix}>
              <a href={`${apiBaseUrl}/${prefix}/admin/`}>{prefix} admin</a> <span className="muted">{what}</span>
            </li>
          ))}
        </ul>
      </section>
    </>
  )
}
