import { screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { ApiError } from '@/lib/api/errors'
import { renderWithProviders } from '@/testing/render'
import { ErrorNotice } from './ErrorNotice'

describe('ErrorNotice', () => {
  it('shows the API’s message, the fields no control shows, and the request id for support', () => {
    const error = new ApiError({
      status: 400,
      code: 'validation_error',
      message: 'Invalid input.',
      fields: { email: ['Enter a valid email.'], non_field_errors: ['Too many orders.'] },
      requestId: '9f0c',
    })
    renderWithProviders(<ErrorNotice error={error} fieldNames={['email']} />)
    const alert = screen.getByRole('alert')
    expect(alert).toHaveTextContent('Invalid input.')
    expect(alert).toHaveTextContent('Too many orders.')
    expect(alert).not.toHaveTextContent('Enter a valid email.')
    expect(alert).toHaveTextContent('Reference for support: 9f0c')
  })

  it('leads an unverified user to verification, and back', () => {
    const error = new ApiError({ status: 403, code: 'email_not_verified', message: 'Verify your email first.' })
    renderWithProviders(<ErrorNotice error={error} />, { url: '/me/transfer' })
    expect(screen.getByRole('link', { name: 'Verify your email address' })).toHaveAttribute(
      'href',
      '/me/verify?next=%2Fme%2Ftransfer',
    )
  })

  it('says when to try again after a 429', () => {
    const error = new ApiError({ status: 429, code: 'code_recently_sent', message: 'A code was sent.', retryAfter: 37 })
    renderWithProviders(<ErrorNotice error={error} />)
    expect(screen.getByRole('alert')).toHaveTextContent('You can try again in 37 seconds.')
  })
})
