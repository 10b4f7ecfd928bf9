import { Link, useLocation } from 'react-router'
import { paths, withNext } from '@/config/paths'
import { isApiError } from '@/lib/api/errors'

interface ErrorNoticeProps {
  error: unknown
  /** Fields the form shows next to their controls; errors on any other field are listed here. */
  fieldNames?: readonly string[]
}

/** The API's message, what to do next, and the request id for support. */
export function ErrorNotice({ error, fieldNames = [] }: ErrorNoticeProps) {
  const location = useLocation()
  if (!error) return null
  if (!isApiError(error)) {
    return (
      <div className="notice notice-error" role="alert">
        <p>Something went wrong. Please try again.</p>
      </div>
    )
  }
  const here = location.pathname + location.search
  const otherFields = Object.entries(error.fields).filter(([name]) => !fieldNames.includes(name))
  return (
    <div className="notice notice-error" role="alert">
      <p>{error.message}</p>
      {otherFields.length > 0 && (
        <ul>
          {otherFields.map(([name, messages]) => (
            <li key={name}>
              {name === 'non_field_errors' ? '' : `${name}: `}
              {messages.join(' ')}
            </li>
          ))}
        </ul>
      )}
      {error.code === 'email_not_verified' && (
        <p>
          <Link to={withNext(paths.verifyEmail, here)}>Verify your email address</Link> to move money.
        </p>
      )}
      {error.status === 401 && (
        <p>
          <Link to={withNext(paths.signIn, here)}>Sign in again</Link>
        </p>
      )}
      {error.retryAfter !== null && <p>You can try again in {error.retryAfter} seconds.</p>}
      {error.requestId && (
        <p className="request-id">
          Reference for support: <code>{error.requestId}</code>
        </p>
      )}
    </div>
  )
}

/** The API's errors on one field of a form. */
export function fieldErrors(error: unknown, name: string): string[] | undefined {
  return isApiError(error) ? error.fields[name] : undefined
}
