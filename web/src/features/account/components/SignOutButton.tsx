import { useNavigate } from 'react-router'
import { paths } from '@/config/paths'
import { useSignOut } from '../api/account'

export function SignOutButton() {
  const signOut = useSignOut()
  const navigate = useNavigate()
  return (
    <button
      type="button"
      className="link-button"
      disabled={signOut.isPending}
      onClick={() => signOut.mutate(undefined, { onSettled: () => void navigate(paths.catalog) })}
    >
      Sign out
    </button>
  )
}
