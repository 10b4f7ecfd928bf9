/** Money arrives in minor units (cents) with an ISO 4217 currency; these turn it into text and back. */

const formatters = new Map<string, Intl.NumberFormat>()

function formatter(currency: string, locale?: string): Intl.NumberFormat {
  const key = `${locale ?? ''}|${currency}`
  let found = formatters.get(key)
  if (!found) {
    found = new Intl.NumberFormat(locale, { style: 'currency', currency })
    formatters.set(key, found)
  }
  return found
}

/** How many decimals the currency has (EUR 2, JPY 0, KWD 3). */
export function currencyDigits(currency: string): number {
  return formatter(currency, 'en').resolvedOptions().maximumFractionDigits ?? 2
}

/** The amount as a decimal string, exactly (no floating point): 123456 EUR → "1234.56". */
function toDecimal(minor: number, digits: number): `${number}` {
  const sign = minor < 0 ? '-' : ''
  const units = Math.abs(minor)
    .toString()
    .padStart(digits + 1, '0')
  if (digits === 0) return `${sign}${units}` as `${number}`
  return `${sign}${units.slice(0, -digits)}.${units.slice(-digits)}` as `${number}`
}

/** `formatMoney(123456, 'EUR', 'en-US')` → "€1,234.56". */
export function formatMoney(minor: number, currency: string, locale?: string): string {
  return formatter(currency, locale).format(toDecimal(minor, currencyDigits(currency)))
}

/**
 * What a person typed ("12", "12.5", "1,234.56", "12,50") in minor units of the currency, or
 * null when it is not an amount with at most the currency's decimals.
 */
export function parseMoney(text: string, currency: string): number | null {
  const digits = currencyDigits(currency)
  const compact = text.trim().replace(/[\s\u00a0']/g, '')
  // The last "." or "," followed by 1..digits digits is the decimal separator; others group thousands.
  const match = /^(\d{1,3}(?:[.,]\d{3})*|\d+)(?:[.,](\d+))?$/.exec(compact)
  if (!match || !match[1]) return null
  const [, whole, fraction = ''] = match
  if (fraction.length > digits) return null
  const units = whole.replace(/[.,]/g, '') + fraction.padEnd(digits, '0')
  const value = Number(units)
  return Number.isSafeInteger(value) ? value : null
}

/** The amount as a person would type it back into a form: 123456 EUR → "1234.56". */
export function toAmountText(minor: number, currency: string): string {
  return toDecimal(minor, currencyDigits(currency))
}
