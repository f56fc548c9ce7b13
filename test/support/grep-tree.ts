import { lstat, readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'

/** Every file under `dir` (links not followed) whose bytes contain `needle`: for hunting leaked secrets. */
export async function grepTree(dir: string, needle: string): Promise<string[]> {
  const hits: string[] = []
  const wanted = Buffer.from(needle)
  const visit = async (path: string): Promise<void> => {
    const info = await lstat(path)
    if (info.isDirectory()) {
      for (const name of await readdir(path)) await visit(join(path, name))
    } else if (info.isFile() && (await readFile(path)).includes(wanted)) {
      hits.push(path)
    }
  }
  await visit(dir)
  return hits
}
