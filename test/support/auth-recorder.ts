import { startRecorder, type Recorder } from './http'

export type AuthRecorder = Recorder

/**
 * A recorder (see http.ts) that answers like GitHub's `GET /user` (`login`, classic scopes), 404 elsewhere:
 * stands for a host that a changed setting would send a secret to.
 */
export function startAuthRecorder(login = 'mona'): Promise<AuthRecorder> {
  return startRecorder((req) => {
    const path = req.url.split('?')[0]
    if (req.method === 'GET' && (path === '/user' || path === '/api/v3/user')) {
      return {
        status: 200,
        body: { login, id: 1, type: 'User' },
        headers: { 'x-oauth-scopes': 'repo, workflow' },
      }
    }
    return { status: 404, body: { message: 'Not Found' } }
  })
}
