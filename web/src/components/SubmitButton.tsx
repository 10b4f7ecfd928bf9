import type { ReactNode } from 'react'

interface SubmitButtonProps {
  pending: boolean
  children: ReactNode
  pendingLabel?: string
  className?: string
}

/** A form's submit button, which says it is working and cannot be pressed twice meanwhile. */
export function SubmitButton({ pending, children, pendingLabel = 'Working…', className }: SubmitButtonProps) {
  return (
    <button type="submit" className={className ?? 'button'} disabled={pending} aria-busy={pending || undefined}>
      {pending ? pendingLabel : children}
    </button>
  )
}
