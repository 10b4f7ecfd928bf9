import { useState } from 'react'
import { isApiError } from './errors'

/** A random UUID v4 (crypto.randomUUID needs a secure context; the shop may be served over plain http). */
export function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  bytes[6] = (bytes[6]! & 0x0f) | 0x40
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/**
 * True when the request may not have been carried out, or may still be running: no answer, the
 * gateway's 502/503/504, another request with the same key still in progress, or a rate limit.
 * Sending the same request with the same key again is then safe, and is how it is finished.
 */
export function mayRetrySameAttempt(error: unknown): boolean {
  if (!isApiError(error)) return false
  return (
    error.status === 0 ||
    error.status === 429 ||
    error.status >= 502 ||
    (error.status === 409 && error.code === 'idempotency_in_progress')
  )
}

export interface Attempts {
  /** The key for this request body: the same while the same attempt is retried, new otherwise. */
  keyFor(body: unknown): string
  /** After an answer: an attempt with a final answer is over, and the next request is a new one. */
  settle(error: unknown): void
}

export function createAttempts(): Attempts {
  let current: { key: string; body: string } | null = null
  return {
    keyFor(body) {
      const serialized = JSON.stringify(body)
      if (current?.body !== serialized) current = { key: newIdempotencyKey(), body: serialized }
      return current.key
    },
    settle(error) {
      if (!mayRetrySameAttempt(error)) current = null
    },
  }
}

/** The attempts of one money-moving operation of a component (a payment, a transfer, an order). */
export function useAttempts(): Attempts {
  const [attempts] = useState(createAttempts)
  return attempts
}
