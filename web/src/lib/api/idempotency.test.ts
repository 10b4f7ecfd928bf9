import { describe, expect, it } from 'vitest'
import { ApiError } from './errors'
import { createAttempts, mayRetrySameAttempt, newIdempotencyKey } from './idempotency'

const unanswered = new ApiError({ status: 504, code: 'service_timeout', message: 'No answer.' })
const declined = new ApiError({ status: 402, code: 'insufficient_funds', message: 'Not enough money.' })

describe('idempotency keys', () => {
  it('are random UUIDs v4', () => {
    const key = newIdempotencyKey()
    expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(newIdempotencyKey()).not.toBe(key)
  })

  it('stay the same while one attempt is retried after no answer', () => {
    const attempts = createAttempts()
    const first = attempts.keyFor({ account_id: 'a' })
    attempts.settle(unanswered)
    expect(attempts.keyFor({ account_id: 'a' })).toBe(first)
    attempts.settle(ApiError.network())
    expect(attempts.keyFor({ account_id: 'a' })).toBe(first)
  })

  it('change for a new attempt: after a final answer, or with another body', () => {
    const attempts = createAttempts()
    const first = attempts.keyFor({ account_id: 'a' })
    attempts.settle(declined)
    const second = attempts.keyFor({ account_id: 'a' })
    expect(second).not.toBe(first)
    expect(attempts.keyFor({ account_id: 'b' })).not.toBe(second)
  })

  it('tell which answers leave the attempt open', () => {
    expect(mayRetrySameAttempt(unanswered)).toBe(true)
    expect(mayRetrySameAttempt(new ApiError({ status: 409, code: 'idempotency_in_progress', message: '' }))).toBe(true)
    expect(mayRetrySameAttempt(new ApiError({ status: 409, code: 'invalid_transition', message: '' }))).toBe(false)
    expect(mayRetrySameAttempt(declined)).toBe(false)
    expect(mayRetrySameAttempt(undefined)).toBe(false)
  })
})
