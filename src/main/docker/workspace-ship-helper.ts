import { PassThrough, type Duplex } from 'node:stream'
import type Docker from 'dockerode'
import { AppError } from '../errors'
import { dockerStatusCode, toDockerAppError } from './client'
import { WORKSPACE_DIR } from './container-spec'
import { startAttachedExec } from './exec'
import { createDemuxer, HeadTailBuffer } from './exec-output'
import { frameStdin, framedArgv } from './stdin-frame'
import type { SandboxUser } from './workspace-owner'

/**
 * The in-container half of shipBack, run with python3 (in the agent image) as the sandbox user: reads the
 * manifest (JSON, on stdin), walks /workspace without following links (every `.git` left out, as shipIn
 * leaves it out), and writes to stdout a length line, a JSON header `{deleted, skipped}` and then a pax
 * tar of only what differs from the manifest: new entries, and those whose kind, permission bits, size
 * or SHA-256 changed. Files are opened with O_NOFOLLOW|O_NONBLOCK and checked to be regular before they
 * are read; FIFOs, sockets and devices are skipped (and a manifest path that became one counts as
 * deleted). The header also gives each file settled for 2 s a stamp (inode:ctime, which no write leaves
 * as it was); a file whose manifest stamp still matches, with the same size and bits, is not hashed
 * again. Nothing it writes is trusted: the host reads it as hostile (workspace-ship-apply.ts) — a lying
 * stamp can only hide the sandbox's own changes from the host.
 */
export const SHIP_BACK_SCRIPT = String.raw`
import hashlib, json, os, stat, sys, tarfile, time
ROOT = '/workspace'
known = {e[0]: e for e in json.loads(sys.stdin.buffer.read())['entries']}
changed, seen, skipped, stamps, unlisted = [], set(), [], [], []
# A stamp (inode:ctime) is only given to a file unchanged for 2 s: a later write within the same clock tick
# could otherwise leave ctime as it was ("racy git").
SETTLED_NS = time.time_ns() - 2_000_000_000

def stamp_of(st):
    return '%d:%d' % (st.st_ino, st.st_ctime_ns) if st.st_ctime_ns < SETTLED_NS else ''

def open_regular(full):
    fd = os.open(full, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise OSError('not a regular file')
    return os.fdopen(fd, 'rb'), st

def file_hash(full):
    f, _ = open_regular(full)
    h = hashlib.sha256()
    with f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()

def differs(old, kind, st, full):
    if old is None or old[1] != kind or old[3] != (stat.S_IMODE(st.st_mode) & 0o777):
        return True
    if kind == 'dir':
        return False
    if kind == 'link':
        target = os.fsencode(os.readlink(full))
        return old[2] != len(target) or old[4] != hashlib.sha256(target).hexdigest()
    if old[2] != st.st_size:
        return True
    if len(old) > 5 and old[5] and old[5] == stamp_of(st):
        return False
    return old[4] != file_hash(full)

def walk(rel):
    try:
        with os.scandir(os.path.join(ROOT, rel) if rel else ROOT) as it:
            items = sorted(it, key=lambda e: e.name)
    except OSError as err:
        # What it holds is unknown, not deleted.
        skipped.append([rel, 'could not be listed: %s' % err.strerror])
        unlisted.append(rel + '/' if rel else '')
        return
    for e in items:
        if e.name == '.git':
            continue
        r = rel + '/' + e.name if rel else e.name
        try:
            st = e.stat(follow_symlinks=False)
        except OSError:
            continue
        m = st.st_mode
        kind = 'dir' if stat.S_ISDIR(m) else 'file' if stat.S_ISREG(m) else 'link' if stat.S_ISLNK(m) else None
        if kind is None:
            skipped.append([r, 'is a FIFO, socket or device'])
            continue
        seen.add(r)
        if kind == 'file' and stamp_of(st):
            stamps.append([r, stamp_of(st)])
        try:
            if differs(known.get(r), kind, st, e.path):
                changed.append((r, kind))
        except OSError as err:
            skipped.append([r, 'could not be read: %s' % err.strerror])
        if kind == 'dir':
            walk(r)

def add(tf, r, kind):
    full = os.path.join(ROOT, r)
    try:
        if kind == 'file':
            f, st = open_regular(full)
            with f:
                ti = tarfile.TarInfo(r)
                ti.size, ti.mode, ti.mtime = st.st_size, stat.S_IMODE(st.st_mode), int(st.st_mtime)
                tf.addfile(ti, f)
            return
        st = os.lstat(full)
        ti = tarfile.TarInfo(r)
        ti.mode, ti.mtime = stat.S_IMODE(st.st_mode), int(st.st_mtime)
        if kind == 'dir' and stat.S_ISDIR(st.st_mode):
            ti.type = tarfile.DIRTYPE
        elif kind == 'link' and stat.S_ISLNK(st.st_mode):
            ti.type, ti.linkname = tarfile.SYMTYPE, os.readlink(full)
        else:
            raise OSError('changed kind')
        tf.addfile(ti)
    except OSError as err:
        skipped.append([r, 'changed while it was listed: %s' % (err.strerror or err)])

walk('')
out = sys.stdout.buffer
deleted = sorted(p for p in known if p not in seen and not p.startswith(tuple(unlisted)))
head = json.dumps({'deleted': deleted, 'skipped': skipped, 'stamps': stamps}).encode()
out.write(b'%d\n' % len(head) + head)
tf = tarfile.open(fileobj=out, mode='w|', format=tarfile.PAX_FORMAT)
for r, kind in changed:
    add(tf, r, kind)
tf.close()
out.flush()
`

/** A running helper: its stdout as a stream, its stderr kept head and tail. */
export interface HelperRun {
  stdout: PassThrough
  stderr: () => string
  /** Stops reading: the helper gets EPIPE. */
  close: () => void
}

const STDERR_BYTES = 16 * 1024

/**
 * Starts SHIP_BACK_SCRIPT in `container` as `user`, with `manifestJson` on its (framed) stdin. Its stdout
 * flows with backpressure: the exec stream is paused while the reader is behind.
 */
export async function startShipBackHelper(
  container: Docker.Container,
  user: SandboxUser,
  manifestJson: string,
): Promise<HelperRun> {
  let stream: Duplex
  try {
    // -I: isolated, so nothing the agent left in HOME (a usercustomize.py) or the environment runs in it.
    const cmd = framedArgv(['python3', '-I', '-c', SHIP_BACK_SCRIPT])
    stream = await startAttachedExec(container, user, cmd, WORKSPACE_DIR)
  } catch (err) {
    if (dockerStatusCode(err) === 409 || dockerStatusCode(err) === 404) {
      throw new AppError('container_failed', 'The container to bring the changes back from is not running.', {
        hint: 'Start the task again; its workspace volume keeps the changes.',
        cause: err,
      })
    }
    throw toDockerAppError(err, 'Could not start the helper that lists the changes')
  }
  const stdout = new PassThrough({ highWaterMark: 1024 * 1024 })
  const stderr = new HeadTailBuffer(STDERR_BYTES)
  const demux = createDemuxer((name, payload) => {
    if (name === 'stderr') return stderr.push(payload)
    if (!stdout.write(payload)) stream.pause()
  })
  stdout.on('drain', () => stream.resume())
  stream.on('data', (chunk: Buffer) => demux(chunk))
  stream.on('end', () => stdout.end())
  stream.on('close', () => stdout.end())
  stream.on('error', (err) => stdout.destroy(err))
  stream.write(frameStdin(manifestJson))
  return {
    stdout,
    stderr: () => stderr.text(),
    close: () => stream.destroy(),
  }
}
