/**
 * Runs one importZip in its own process and prints what it cost as JSON on stdout:
 * `{ seconds, rssBefore, peak, files, bytes }` (rssBefore and peak in bytes; peak is the kernel's VmHWM,
 * the process's high-water resident set). Usage: node --import tsx bench/support/zip-child.ts ARCHIVE DEST
 */
import { readFileSync } from 'node:fs'
import { importZip } from '../../src/main/sources/zip'
import { defaultSettings } from '../../src/shared/settings'

function vmHwm(): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))
  if (!m?.[1]) throw new Error('no VmHWM in /proc/self/status')
  return Number(m[1]) * 1024
}

const [file, dest] = process.argv.slice(2)
if (!file || !dest) throw new Error('usage: zip-child.ts ARCHIVE DEST')
const rssBefore = process.memoryUsage().rss
const start = performance.now()
const result = await importZip({ file, dest, limits: defaultSettings().zip })
const seconds = (performance.now() - start) / 1000
console.log(JSON.stringify({ seconds, rssBefore, peak: vmHwm(), ...result }))
