import { afterEach, describe, expect, it, vi } from 'vitest'
import { join } from 'node:path'
import {
  checkDocker,
  createDockerClient,
  dockerStartHint,
  isDockerConnectionError,
  toDockerAppError,
} from '../../../src/main/docker/client'
import { AppError } from '../../../src/main/errors'
import { tempDir } from '../../support/tmp'

const sysError = (code: string, message = `connect ${code} /var/run/docker.sock`): Error =>
  Object.assign(new Error(message), { code })
const apiError = (statusCode: number, message: string): Error =>
  Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${message} `), {
    statusCode,
    json: { message },
  })

afterEach(() => {
  vi.unstubAllEnvs()
})

describe('isDockerConnectionError', () => {
  it('recognises a missing or refusing socket and an engine that went away', () => {
    for (const code of ['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE']) {
      expect(isDockerConnectionError(sysError(code))).toBe(true)
    }
    expect(isDockerConnectionError(new Error('socket hang up'))).toBe(true)
    expect(isDockerConnectionError(new Error('outer', { cause: sysError('ECONNREFUSED') }))).toBe(true)
  })

  it('does not take API answers for connection failures', () => {
    expect(isDockerConnectionError(apiError(404, 'No such container: abc'))).toBe(false)
    expect(isDockerConnectionError(apiError(500, 'socket hang up somewhere inside'))).toBe(false)
    expect(isDockerConnectionError(new Error('anything else'))).toBe(false)
  })
})

describe('toDockerAppError', () => {
  it('maps a dying engine to docker_unavailable with a hint, never a stack', () => {
    const err = toDockerAppError(sysError('ECONNRESET', 'read ECONNRESET'), 'Could not run a command')
    expect(err).toBeInstanceOf(AppError)
    expect(err.kind).toBe('docker_unavailable')
    expect(err.message).toBe('The Docker engine stopped responding.')
    expect(err.hint).toMatch(/Docker/)
    expect(err.message).not.toMatch(/\n\s+at /)
  })

  it("keeps the engine's own message for API errors", () => {
    const err = toDockerAppError(
      apiError(500, 'driver failed programming external connectivity'),
      'Could not start',
    )
    expect(err.kind).toBe('container_failed')
    expect(err.message).toBe('Could not start: driver failed programming external connectivity')
    expect(err.details).toEqual({ status: 500 })
  })

  it('passes AppErrors through untouched', () => {
    const original = new AppError('image_missing', 'no image')
    expect(toDockerAppError(original, 'x')).toBe(original)
  })
})

describe('dockerStartHint', () => {
  it('depends on the platform', () => {
    expect(dockerStartHint('darwin')).toMatch(/Docker Desktop/)
    expect(dockerStartHint('win32')).toMatch(/Docker Desktop/)
    expect(dockerStartHint('linux')).toMatch(/systemctl start docker/)
  })
})

describe('checkDocker', () => {
  it('fails fast with docker_unavailable when DOCKER_HOST names a missing socket', async () => {
    const dir = await tempDir()
    const socket = join(dir, 'missing.sock')
    vi.stubEnv('DOCKER_HOST', `unix://${socket}`)
    const started = Date.now()
    const err = await checkDocker(createDockerClient()).catch((e: unknown) => e)
    expect(Date.now() - started).toBeLessThan(1000)
    expect(err).toBeInstanceOf(AppError)
    expect((err as AppError).kind).toBe('docker_unavailable')
    expect((err as AppError).message).toContain('Docker is not running')
    expect((err as AppError).message).toContain(socket)
    expect((err as AppError).hint).toBeTruthy()
  })

  it('fails with docker_unavailable when nothing listens on a TCP DOCKER_HOST', async () => {
    vi.stubEnv('DOCKER_HOST', 'tcp://127.0.0.1:1')
    const err = await checkDocker(createDockerClient()).catch((e: unknown) => e)
    expect((err as AppError).kind).toBe('docker_unavailable')
    expect((err as AppError).message).toMatch(/Docker is not running/)
  })
})
