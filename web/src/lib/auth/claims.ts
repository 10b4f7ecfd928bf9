/** What an access token says about its user. The client reads it; only the services verify it. */
export interface Claims {
  user_id: string
  email: string
  email_verified: boolean
  roles: string[]
  /** Expiry, in seconds since the epoch. */
  exp: number
}

function base64UrlDecode(segment: string): string {
  const base64 = segment.replace(/-/g, '+').replace(/_/g, '/')
  const padded = base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), '=')
  const bytes = Uint8Array.from(atob(padded), (char) => char.charCodeAt(0))
  return new TextDecoder().decode(bytes)
}

/** The claims of a JWT, or null when it is not one. */
export function decodeClaims(token: string): Claims | null {
  const payload = token.split('.')[1]
  if (!payload) return null
  try {
    const claims = JSON.parse(base64UrlDecode(payload)) as Partial<Claims>
    if (typeof claims.user_id !== 'string' || typeof claims.exp !== 'number') return null
    return {
      user_id: claims.user_id,
      email: claims.email ?? '',
      email_verified: claims.email_verified === true,
      roles: Array.isArray(claims.roles) ? claims.roles : [],
      exp: claims.exp,
    }
  } catch {
    return null
  }
}

export function isStaff(claims: Claims | null): boolean {
  return claims !== null && claims.roles.some((role) => role === 'staff' || role === 'admin')
}
