import { describe, expect, it } from 'vitest'
import { currencyDigits, formatMoney, parseMoney, toAmountText } from './money'

describe('formatMoney', () => {
  it('formats minor units with the currency’s own decimals', () => {
    expect(formatMoney(123456, 'EUR', 'en-US')).toBe('€1,234.56')
    expect(formatMoney(123456, 'EUR', 'de-DE')).toBe('1.234,56\u00a0€')
    expect(formatMoney(500, 'JPY', 'en-US')).toBe('¥500')
    expect(formatMoney(1234, 'KWD', 'en-US')).toBe('KWD\u00a01.234')
  })

  it('keeps every cent of large and negative amounts', () => {
    expect(formatMoney(100000000, 'USD', 'en-US')).toBe('$1,000,000.00')
    expect(formatMoney(-5, 'GBP', 'en-GB')).toBe('-£0.05')
    expect(formatMoney(900719925474099, 'EUR', 'en-US')).toBe('€9,007,199,254,740.99')
  })
})

describe('currencyDigits', () => {
  it('knows the decimals of each currency', () => {
    expect(currencyDigits('EUR')).toBe(2)
    expect(currencyDigits('JPY')).toBe(0)
    expect(currencyDigits('KWD')).toBe(3)
  })
})

describe('parseMoney', () => {
  it.each([
    ['12', 1200],
    ['12.5', 1250],
    ['12,50', 1250],
    ['1,234.56', 123456],
    ['1.234,56', 123456],
    [' 0.01 ', 1],
    ['1.005', 100500], // a group of three digits is thousands
  ])('reads %j as %i cents', (text, minor) => {
    expect(parseMoney(text, 'EUR')).toBe(minor)
  })

  it('refuses more decimals than the currency has, and what is not an amount', () => {
    expect(parseMoney('1.0055', 'EUR')).toBeNull()
    expect(parseMoney('10.5', 'JPY')).toBeNull()
    expect(parseMoney('-3', 'EUR')).toBeNull()
    expect(parseMoney('abc', 'EUR')).toBeNull()
    expect(parseMoney('', 'EUR')).toBeNull()
  })

  it('gives back what toAmountText wrote', () => {
    expect(toAmountText(123456, 'EUR')).toBe('1234.56')
    expect(toAmountText(7, 'EUR')).toBe('0.07')
    expect(parseMoney(toAmountText(4999, 'EUR'), 'EUR')).toBe(4999)
  })
})
