import { screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { session } from '@/lib/api/client'
import { apiError, json, stubApi } from '@/testing/api'
import { fakeToken, renderWithProviders } from '@/testing/render'
import SignInPage from './SignInPage'

describe('SignInPage', () => {
  it('signs in with the keyboard and goes where the user was going', async () => {
    const access = fakeToken({ email: 'ada@example.com' })
    const sent = stubApi({ 'POST /auth/api/token/': () => json(200, { access, refresh: 'r1' }) })
    renderWithProviders(<SignInPage />, { path: '/sign-in', url: '/sign-in?next=/cart', elsewhere: ['/cart'] })
    const user = userEvent.setup()

    await user.type(screen.getByLabelText('Email'), 'ada@example.com')
    await user.type(screen.getByLabelText('Password'), 'a-long-passphrase{Enter}')

    expect(await screen.findByRole('heading', { name: 'Arrived at /cart' })).toBeInTheDocument()
    expect(sent[0]?.body).toEqual({ email: 'ada@example.com', password: 'a-long-passphrase' })
    expect(session.accessToken()).toBe(access)
    expect(window.sessionStorage.getItem('shop.refresh')).toBe('r1')
    session.signOut()
  })

  it('shows why a sign-in failed, with the request id', async () => {
    stubApi({
      'POST /auth/api/token/': () => apiError(401, 'authentication_failed', 'No account with this email and password.'),
    })
    renderWithProviders(<SignInPage />, { path: '/sign-in' })
    const user = userEvent.setup()

    await user.type(screen.getByLabelText('Email'), 'ada@example.com')
    await user.type(screen.getByLabelText('Password'), 'wrong')
    await user.click(screen.getByRole('button', { name: 'Sign in' }))

    const alert = await screen.findByRole('alert')
    expect(alert).toHaveTextContent('No account with this email and password.')
    expect(alert).toHaveTextContent('req-authentication_failed')
  })

  it('puts field errors next to their field', async () => {
    stubApi({
      'POST /auth/api/token/': () =>
        apiError(400, 'validation_error', 'Invalid input.', { fields: { email: ['Enter a valid email address.'] } }),
    })
    renderWithProviders(<SignInPage />, { path: '/sign-in' })
    const user = userEvent.setup()

    await user.type(screen.getByLabelText('Email'), 'ada@example.com')
    await user.type(screen.getByLabelText('Password'), 'x{Enter}')

    const email = screen.getByLabelText('Email')
    await screen.findByText('Enter a valid email address.')
    expect(email).toHaveAttribute('aria-invalid', 'true')
    expect(email).toHaveAccessibleDescription('Enter a valid email address.')
  })
})
