import { QueryClientProvider } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import { RouterProvider } from 'react-router'
import { session } from '@/lib/api/client'
import { createQueryClient } from './query-client'
import { createRouter } from './router'

export function App() {
  const [queryClient] = useState(createQueryClient)
  const [router] = useState(createRouter)

  useEffect(() => {
    // One user's data never outlives their session in this tab.
    let signedIn = session.getState().status === 'signed-in'
    const unsubscribe = session.subscribe(() => {
      const now = session.getState().status === 'signed-in'
      if (signedIn && !now) queryClient.clear()
      signedIn = now
    })
    return unsubscribe
  }, [queryClient])

  return (
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  )
}
