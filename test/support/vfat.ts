import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/**
 * A FAT-family filesystem on a loop device, mounted on a fresh temporary directory: a real filesystem with
 * no executable bits (chmod changes nothing), no symbolic links and case-insensitive names, like a Windows
 * disk, a default macOS one or a USB stick.
 *
 * The kernel's vfat when the kernel has it (`mkfs.vfat`, Debian package dosfstools); else, as on these
 * machines whose kernel has no FAT driver, exFAT through FUSE (`mkfs.exfat` and `mount.exfat-fuse`,
 * packages exfatprogs and exfat-fuse; /dev/fuse). Both need root and a free /dev/loop* device. When
 * anything is missing it throws saying what, never skips. Call `unmount` (in afterAll) when done.
 */
export interface VfatMount {
  dir: string
  /** 'vfat' (kernel) or 'exfat' (FUSE). */
  type: 'vfat' | 'exfat'
  unmount(): Promise<void>
}

export async function mountVfat(sizeMb: number): Promise<VfatMount> {
  const root = await mkdtemp(join(tmpdir(), 'codex-vfat-'))
  const image = join(root, 'fat.img')
  const dir = join(root, 'mnt')
  const type = (await kernelHasVfat()) ? 'vfat' : 'exfat'
  let device = ''
  try {
    await step(`dd (a ${sizeMb} MB image)`, 'dd', [
      'if=/dev/zero',
      `of=${image}`,
      'bs=1M',
      `count=${sizeMb}`,
      'status=none',
    ])
    if (type === 'vfat') await step('mkfs.vfat (package dosfstools)', 'mkfs.vfat', ['-F', '32', image])
    else await step('mkfs.exfat (package exfatprogs)', 'mkfs.exfat', [image])
    await step('mkdir', 'mkdir', [dir])
    device = await step('losetup (needs root and a free /dev/loop* device)', 'losetup', [
      '--find',
      '--show',
      image,
    ])
    if (type === 'vfat') {
      await step('mount -t vfat', 'mount', ['-t', 'vfat', '-o', 'uid=0,gid=0', device, dir])
    } else {
      await step(
        'mount.exfat-fuse (package exfat-fuse; /dev/fuse; the kernel has no vfat)',
        'mount.exfat-fuse',
        ['-o', 'uid=0,gid=0', device, dir],
      )
    }
  } catch (err) {
    if (device) await run('losetup', ['-d', device]).catch(() => undefined)
    await rm(root, { recursive: true, force: true })
    throw err
  }
  let mounted = true
  return {
    dir,
    type,
    unmount: async () => {
      if (mounted) {
        await step('umount', 'umount', [dir])
        await step('losetup -d', 'losetup', ['-d', device])
      }
      mounted = false
      await rm(root, { recursive: true, force: true })
    },
  }
}

async function kernelHasVfat(): Promise<boolean> {
  const list = await readFile('/proc/filesystems', 'utf8').catch(() => '')
  return list.split('\n').some((line) => line.trim().split(/\s+/).pop() === 'vfat')
}

async function step(what: string, cmd: string, args: string[]): Promise<string> {
  try {
    return (await run(cmd, args, { encoding: 'utf8' })).stdout.trim()
  } catch (err) {
    const e = err as { code?: unknown; stderr?: unknown; message?: string }
    const why = e.code === 'ENOENT' ? `${cmd} is not installed` : String(e.stderr || e.message).trim()
    throw new Error(`Cannot make the FAT test filesystem: ${what} failed: ${why}`, { cause: err })
  }
}
