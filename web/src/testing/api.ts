import { vi } from 'vitest'

export interface SentRequest {
  method: string
  path: string
  search: string
  headers: Headers
  body: unknown
}

type Handler = (request: SentRequest) => Response | Promise<Response>

/** A JSON answer, as the API gives it. */
export function json(status: number, body?: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  })
}

/** An answer in the API's error shape. */
export function apiError(status: number, code: string, message: string, extra: Record<string, unknown> = {}) {
  return json(status, { code, message, fields: {}, request_id: `req-${code}`, ...extra })
}

/**
 * Replace fetch with handlers by "METHOD /path/" (a handler may be a list, answered in turn);
 * returns every request sent, in order.
 */
export function stubApi(handlers: Record<string, Handler | Handler[]>): SentRequest[] {
  const sent: SentRequest[] = []
  const queues = new Map(Object.entries(handlers).map(([key, handler]) => [key, [handler].flat()]))
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input) => {
    const request = input as Request
    const url = new URL(request.url)
    const text = await request.text()
    const record: SentRequest = {
      method: request.method,
      path: url.pathname,
      search: url.search,
      headers: request.headers,
      body: text ? JSON.parse(text) : undefined,
    }
    sent.push(record)
    const queue = queues.get(`${record.method} ${record.path}`)
    if (!queue?.length) throw new Error(`no stub for ${record.method} ${record.path}`)
    const handler = queue.length > 1 ? queue.shift()! : queue[0]!
    return handler(record)
  })
  return sent
}
