import { screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { session } from '@/lib/api/client'
import { json, stubApi } from '@/testing/api'
import { fakeToken, renderWithProviders } from '@/testing/render'
import { InboxLink } from './InboxLink'

describe('InboxLink', () => {
  it('shows how many notifications are unread, with the session’s token', async () => {
    const access = fakeToken()
    session.signIn({ access, refresh: 'r1' })
    const sent = stubApi({ 'GET /notifications/api/notifications/unread-count/': () => json(200, { count: 3 }) })

    renderWithProviders(<InboxLink />)

    expect(await screen.findByRole('link', { name: 'Inbox 3 unread' })).toHaveAttribute('href', '/me/inbox')
    expect(sent[0]?.headers.get('Authorization')).toBe(`Bearer ${access}`)
    session.signOut()
  })

  it('asks nothing when signed out', () => {
    const sent = stubApi({})
    renderWithProviders(<InboxLink />)
    expect(screen.getByRole('link', { name: 'Inbox' })).toBeInTheDocument()
    expect(sent).toHaveLength(0)
  })
})
