import { useSyncExternalStore } from 'react'

/** One product in the cart, with the name and price it had when added (the order is priced by the catalog). */
export interface CartLine {
  productId: string
  name: string
  unitPrice: number
  currency: string
  quantity: number
}

/** At most this many units of one product in an order (ORDERS_MAX_LINE_QUANTITY). */
export const MAX_LINE_QUANTITY = 100

const KEY = 'shop.cart'

export interface CartStore {
  getLines(): CartLine[]
  subscribe(listener: () => void): () => void
  add(line: Omit<CartLine, 'quantity'>, quantity: number): void
  setQuantity(productId: string, quantity: number): void
  remove(productId: string): void
  clear(): void
}

function isLine(value: unknown): value is CartLine {
  const line = value as CartLine
  return (
    typeof line === 'object' &&
    line !== null &&
    typeof line.productId === 'string' &&
    typeof line.name === 'string' &&
    Number.isInteger(line.unitPrice) &&
    typeof line.currency === 'string' &&
    Number.isInteger(line.quantity) &&
    line.quantity > 0
  )
}

const clamp = (quantity: number) => Math.min(MAX_LINE_QUANTITY, Math.max(1, Math.trunc(quantity)))

/** The cart, kept in `storage` (localStorage: it outlives the tab) and in step across tabs. */
export function createCartStore(storage: Storage, target: Window = window): CartStore {
  const read = (): CartLine[] => {
    try {
      const stored: unknown = JSON.parse(storage.getItem(KEY) ?? '[]')
      return Array.isArray(stored) ? stored.filter(isLine) : []
    } catch {
      return []
    }
  }
  let lines = read()
  const listeners = new Set<() => void>()
  const notify = () => listeners.forEach((listener) => listener())
  const write = (next: CartLine[]) => {
    lines = next
    if (next.length > 0) storage.setItem(KEY, JSON.stringify(next))
    else storage.removeItem(KEY)
    notify()
  }
  target.addEventListener('storage', (event) => {
    if (event.key === KEY || event.key === null) {
      lines = read()
      notify()
    }
  })

  return {
    getLines: () => lines,
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    add(line, quantity) {
      const existing = lines.find((candidate) => candidate.productId === line.productId)
      write(
        existing
          ? lines.map((candidate) =>
              candidate === existing ? { ...line, quantity: clamp(existing.quantity + quantity) } : candidate,
            )
          : [...lines, { ...line, quantity: clamp(quantity) }],
      )
    },
    setQuantity(productId, quantity) {
      write(lines.map((line) => (line.productId === productId ? { ...line, quantity: clamp(quantity) } : line)))
    },
    remove(productId) {
      write(lines.filter((line) => line.productId !== productId))
    },
    clear() {
      write([])
    },
  }
}

export const cart = createCartStore(window.localStorage)

export function useCartLines(): CartLine[] {
  return useSyncExternalStore(cart.subscribe, cart.getLines)
}

/** The total of the cart in each of its currencies. */
export function cartTotals(lines: CartLine[]): { currency: string; total: number }[] {
  const totals = new Map<string, number>()
  for (const line of lines) totals.set(line.currency, (totals.get(line.currency) ?? 0) + line.unitPrice * line.quantity)
  return [...totals].map(([currency, total]) => ({ currency, total }))
}
