import { useSyncExternalStore } from 'react'

/** Where the window is: hash routes, so a reload or a browser tab keeps its place. */
export type Route =
  { page: 'new' } | { page: 'task'; id: string } | { page: 'review'; id: string } | { page: 'settings' }

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/')
  if (parts[0] === 'task' && parts[1])
    return parts[2] === 'review' ? { page: 'review', id: parts[1] } : { page: 'task', id: parts[1] }
  if (parts[0] === 'settings') return { page: 'settings' }
  return { page: 'new' }
}

export function routeHash(route: Route): string {
  switch (route.page) {
    case 'new':
      return '#/new'
    case 'settings':
      return '#/settings'
    case 'task':
      return `#/task/${route.id}`
    case 'review':
      return `#/task/${route.id}/review`
  }
}

export function navigate(route: Route): void {
  window.location.hash = routeHash(route)
}

const subscribe = (listener: () => void): (() => void) => {
  window.addEventListener('hashchange', listener)
  return () => window.removeEventListener('hashchange', listener)
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash)
  return parseRoute(hash)
}
