/** Every error of the API, from a service or from the gateway, has one shape; this is it on the client. */
export class ApiError extends Error {
  readonly status: number
  /** Stable and machine-readable: `validation_error`, `insufficient_funds`, `email_not_verified`, ... */
  readonly code: string
  /** Field name → what is wrong with it. */
  readonly fields: Record<string, string[]>
  /** The gateway's request id: what support needs to find the request in the logs. */
  readonly requestId: string | null
  /** Seconds to wait before trying again, when the API said (429). */
  readonly retryAfter: number | null
  /** The whole body, for answers that carry more (a declined payment carries the order). */
  readonly body: unknown

  constructor(init: {
    status: number
    code: string
    message: string
    fields?: Record<string, string[]>
    requestId?: string | null
    retryAfter?: number | null
    body?: unknown
  }) {
    super(init.message)
    this.name = 'ApiError'
    this.status = init.status
    this.code = init.code
    this.fields = init.fields ?? {}
    this.requestId = init.requestId ?? null
    this.retryAfter = init.retryAfter ?? null
    this.body = init.body
  }

  static fromResponse(response: Response, body: unknown): ApiError {
    const shape = isRecord(body) ? body : {}
    const retryAfter = Number.parseInt(response.headers.get('Retry-After') ?? '', 10)
    return new ApiError({
      status: response.status,
      code: typeof shape.code === 'string' ? shape.code : `http_${response.status}`,
      message:
        typeof shape.message === 'string' && shape.message
          ? shape.message
          : `The request failed (${response.status} ${response.statusText}).`.replace(' )', ')'),
      fields: isRecord(shape.fields) ? flattenFields(shape.fields) : {},
      requestId: typeof shape.request_id === 'string' ? shape.request_id : response.headers.get('X-Request-ID'),
      retryAfter: Number.isFinite(retryAfter) ? retryAfter : null,
      body,
    })
  }

  static network(): ApiError {
    return new ApiError({
      status: 0,
      code: 'network_error',
      message: 'The shop could not be reached. Check your connection and try again.',
    })
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `{"items": [{"quantity": ["Too many."]}]}` → `{"items.0.quantity": ["Too many."]}`. */
function flattenFields(fields: Record<string, unknown>, prefix = ''): Record<string, string[]> {
  const flat: Record<string, string[]> = {}
  for (const [name, value] of Object.entries(fields)) {
    const key = prefix ? `${prefix}.${name}` : name
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
      flat[key] = value
    } else if (Array.isArray(value) || isRecord(value)) {
      Object.assign(flat, flattenFields({ ...value }, key))
    } else if (typeof value === 'string') {
      flat[key] = [value]
    }
  }
  return flat
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError
}

/** The data of an openapi-fetch answer, or its error thrown as an ApiError. */
export async function unwrap<D>(pending: Promise<{ data?: D; error?: unknown; response: Response }>): Promise<D> {
  const { data, error, response } = await pending
  if (!response.ok) throw ApiError.fromResponse(response, error)
  return data as D
}
