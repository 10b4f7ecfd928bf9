import { screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { apiError, json, stubApi } from '@/testing/api'
import { renderWithProviders } from '@/testing/render'
import type { Account } from '../api/bank'
import { TransferForm } from './TransferForm'

const account = (id: string, number: string, balance: number) =>
  ({ id, number, balance, currency: 'EUR', status: 'active', owner_id: 'u-1', created_at: '' }) as Account

const ACCOUNTS = [account('a-1', 'NL-0001', 10000), account('a-2', 'NL-0002', 0)]

describe('TransferForm', () => {
  it('moves money between the user’s accounts and says the new balance', async () => {
    const sent = stubApi({
      'POST /bank/api/transfers/': () =>
        json(201, {
          id: 't-1',
          kind: 'transfer',
          description: 'rent',
          actor_id: 'u-1',
          actor_service: '',
          created_at: '',
          postings: [
            { account_id: 'a-1', amount: -2550, balance_after: 7450 },
            { account_id: 'a-2', amount: 2550, balance_after: 2550 },
          ],
        }),
    })
    renderWithProviders(<TransferForm accounts={ACCOUNTS} />)
    const user = userEvent.setup()

    await user.type(screen.getByLabelText('Amount'), '25.50')
    await user.type(screen.getByLabelText('Description (optional)'), 'rent')
    await user.click(screen.getByRole('button', { name: 'Transfer' }))

    expect(await screen.findByText('Transferred €25.50. New balance of NL-0001: €74.50.')).toBeInTheDocument()
    expect(sent[0]?.body).toEqual({
      source_account_id: 'a-1',
      target_account_id: 'a-2',
      amount: 2550,
      description: 'rent',
    })
    expect(sent[0]?.headers.get('Idempotency-Key')).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('refuses an amount the currency cannot have, before asking the bank', async () => {
    const sent = stubApi({})
    renderWithProviders(<TransferForm accounts={ACCOUNTS} />)
    const user = userEvent.setup()

    await user.type(screen.getByLabelText('Amount'), 'ten euros')
    await user.click(screen.getByRole('button', { name: 'Transfer' }))

    expect(screen.getByLabelText('Amount')).toHaveAccessibleDescription('Enter an amount in EUR, such as 12.50.')
    expect(sent).toHaveLength(0)
  })

  it('sends someone else’s account id, and leads an unverified user to verification', async () => {
    const sent = stubApi({
      'POST /bank/api/transfers/': () =>
        apiError(403, 'email_not_verified', 'Verify your email address before moving money.'),
    })
    renderWithProviders(<TransferForm accounts={ACCOUNTS} />, { url: '/me/transfer' })
    const user = userEvent.setup()

    await user.selectOptions(screen.getByLabelText('To'), "Someone else's account…")
    await user.type(screen.getByLabelText("Recipient's account ID"), 'b-9')
    await user.type(screen.getByLabelText('Amount'), '5')
    await user.click(screen.getByRole('button', { name: 'Transfer' }))

    expect(await screen.findByRole('link', { name: 'Verify your email address' })).toBeInTheDocument()
    expect(sent[0]?.body).toMatchObject({ target_account_id: 'b-9', amount: 500 })
  })
})
