import { describe, expect, it } from 'vitest'
import { ApiError } from './errors'

describe('ApiError.fromResponse', () => {
  it('reads the API’s error shape, field errors included', () => {
    const body = {
      code: 'validation_error',
      message: 'Invalid input.',
      fields: { password: ['This password is too common.'], items: [{ quantity: ['At most 100.'] }] },
      request_id: 'abc123',
    }
    const error = ApiError.fromResponse(new Response(null, { status: 400 }), body)
    expect(error).toMatchObject({
      status: 400,
      code: 'validation_error',
      message: 'Invalid input.',
      requestId: 'abc123',
    })
    expect(error.fields).toEqual({ password: ['This password is too common.'], 'items.0.quantity': ['At most 100.'] })
  })

  it('reads Retry-After, and the request id from the header when the body has none', () => {
    const response = new Response(null, { status: 429, headers: { 'Retry-After': '42', 'X-Request-ID': 'r-9' } })
    const error = ApiError.fromResponse(response, 'Too many requests')
    expect(error).toMatchObject({ status: 429, code: 'http_429', retryAfter: 42, requestId: 'r-9' })
    expect(error.message).toMatch(/failed \(429/)
  })
})
