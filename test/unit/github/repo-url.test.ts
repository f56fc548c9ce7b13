import { describe, expect, it } from 'vitest'
import { gitHubRepoOf } from '../../../src/main/github/repo-url'

const DOTCOM = 'https://api.github.com'
const GHE = 'https://ghe.example.com/api/v3'

describe('gitHubRepoOf', () => {
  it.each([
    ['https://github.com/octo/hello', { owner: 'octo', repo: 'hello' }],
    ['https://github.com/octo/hello.git', { owner: 'octo', repo: 'hello' }],
    ['https://github.com/octo/hello.js/', { owner: 'octo', repo: 'hello.js' }],
    ['https://www.github.com/octo/hello', { owner: 'octo', repo: 'hello' }],
    ['git@github.com:octo/hello.git', { owner: 'octo', repo: 'hello' }],
    ['ssh://git@github.com/octo/hello', { owner: 'octo', repo: 'hello' }],
    ['ssh://git@github.com:22/octo/hello.git', { owner: 'octo', repo: 'hello' }],
  ])('github.com: %s', (url, expected) => {
    expect(gitHubRepoOf(url, DOTCOM)).toEqual(expected)
  })

  it.each([
    'https://gitlab.com/octo/hello.git',
    'https://github.com/octo',
    'https://github.com/octo/hello/tree/main',
    'https://github.com/../hello',
    'git@gitlab.com:octo/hello.git',
    'file:///tmp/octo/hello.git',
    'not a url',
    'https://ghe.example.com/octo/hello.git',
  ])('not a github.com repository: %s', (url) => {
    expect(gitHubRepoOf(url, DOTCOM)).toBeUndefined()
  })

  it('GitHub Enterprise and local doubles: the API host, any port', () => {
    expect(gitHubRepoOf('https://ghe.example.com/team/app.git', GHE)).toEqual({ owner: 'team', repo: 'app' })
    expect(gitHubRepoOf('git@ghe.example.com:team/app.git', GHE)).toEqual({ owner: 'team', repo: 'app' })
    expect(gitHubRepoOf('https://github.com/team/app.git', GHE)).toBeUndefined()
    expect(gitHubRepoOf('https://acme.ghe.com/team/app', 'https://api.acme.ghe.com')).toEqual({
      owner: 'team',
      repo: 'app',
    })
    expect(gitHubRepoOf('http://127.0.0.1:40123/mona/x.git', 'http://127.0.0.1:40999')).toEqual({
      owner: 'mona',
      repo: 'x',
    })
    expect(gitHubRepoOf('http://localhost:40123/mona/x.git', 'http://127.0.0.1:40999')).toBeUndefined()
    expect(gitHubRepoOf('https://github.com/a/b', 'not a url')).toBeUndefined()
  })
})
