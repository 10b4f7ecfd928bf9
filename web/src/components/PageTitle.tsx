import { useEffect } from 'react'

/** The page's heading, and the document title that says where the user is. */
export function PageTitle({ children }: { children: string }) {
  useEffect(() => {
    document.title = `${children} · Shop`
  }, [children])
  return <h1>{children}</h1>
}
