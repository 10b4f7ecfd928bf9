import { describe, expect, it } from 'vitest'
import { paths, safeNext } from './paths'

const GATEWAY = /^\/(auth|bank|catalog|orders|payments|notifications|docs|health|assets)(\/|$)/

describe('paths', () => {
  it('never start with a prefix the gateway sends elsewhere', () => {
    const all = Object.values(paths).map((path) => (typeof path === 'function' ? path('x') : path))
    expect(all.filter((path) => GATEWAY.test(path))).toEqual([])
  })

  it('follow only a path of this client after signing in', () => {
    expect(safeNext('/me/orders')).toBe('/me/orders')
    expect(safeNext('https://evil.example')).toBe('/')
    expect(safeNext('//evil.example')).toBe('/')
    expect(safeNext(null, '/me/profile')).toBe('/me/profile')
  })
})
