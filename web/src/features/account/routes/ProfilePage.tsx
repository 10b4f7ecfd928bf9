import { Link } from 'react-router'
import { DateTime } from '@/components/DateTime'
import { ErrorNotice } from '@/components/ErrorNotice'
import { Loading } from '@/components/Loading'
import { PageTitle } from '@/components/PageTitle'
import { paths } from '@/config/paths'
import { useClaims } from '@/lib/auth/useSession'
import { useProfile } from '../api/account'
import { PasswordChangeForm } from '../components/PasswordChangeForm'
import { ProfileForm } from '../components/ProfileForm'

export default function ProfilePage() {
  const profile = useProfile()
  const claims = useClaims()
  if (profile.isPending) return <Loading />
  if (profile.isError) return <ErrorNotice error={profile.error} />
  const user = profile.data
  const verified = claims?.email_verified ?? user.email_verified
  return (
    <>
      <PageTitle>Your profile</PageTitle>
      <dl className="details">
        <dt>Email</dt>
        <dd>
          {user.email} {verified ? '(verified)' : <Link to={paths.verifyEmail}>Verify it</Link>}
        </dd>
        <dt>Roles</dt>
        <dd>{user.roles.join(', ')}</dd>
        <dt>Member since</dt>
        <dd>
          <DateTime value={user.date_joined} />
        </dd>
      </dl>
      <ProfileForm user={user} />
      <PasswordChangeForm />
    </>
  )
}
