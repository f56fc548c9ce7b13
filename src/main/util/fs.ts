import { access } from 'node:fs/promises'

/** Whether something exists at `path` (a file, a folder, or a link). */
export const pathExists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  )
