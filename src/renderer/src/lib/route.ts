import { useSyncExternalStore } from 'react'

/**
 * Where the window is: hash routes, so a reload or a browser tab keeps its place. The review shows the
 * whole task's diff, or one turn's own (`#/task/<id>/review/turn/<n>`).
 */
export type Route =
  | { page: 'new' }
  | { page: 'task'; id: string }
  | { page: 'review'; id: string; turn?: number }
  | { page: 'settings' }

const turnOf = (text: string | undefined): number | undefined => {
  if (!text || !/^[1-9]\d{0,5}$/.test(text)) return undefined
  return Number(text)
}

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/')
  if (parts[0] === 'task' && parts[1]) {
    if (parts[2] !== 'review') return { page: 'task', id: parts[1] }
    const turn = parts[3] === 'turn' ? turnOf(parts[4]) : undefined
    return turn === undefined ? { page: 'review', id: parts[1] } : { page: 'review', id: parts[1], turn }
  }
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
      return route.turn === undefined
        ? `#/task/${route.id}/review`
        : `#/task/${route.id}/review/turn/${route.turn}`
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
