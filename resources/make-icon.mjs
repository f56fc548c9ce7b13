#!/usr/bin/env node
/**
 * Draws the app icon, resources/icon.png (1024×1024 RGBA): a dark rounded square (macOS grid: 824 px body,
 * 100 px margin, soft shadow) holding a terminal prompt — a cyan-to-indigo chevron and a light underscore.
 * Plain Node, no dependencies: shapes are signed distance fields, antialiased by coverage, written as PNG.
 *
 *   node resources/make-icon.mjs [out.png]
 */
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { crc32, deflateSync } from 'node:zlib'

const SIZE = 1024

/** Signed distance from (px, py) to a rounded box centred at (cx, cy), half-size (hx, hy), corner radius r. */
function roundedBox(px, py, cx, cy, hx, hy, r) {
  const qx = Math.abs(px - cx) - (hx - r)
  const qy = Math.abs(py - cy) - (hy - r)
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r
}

/** Signed distance from (px, py) to a stroke of radius r from (ax, ay) to (bx, by), with round caps. */
function capsule(px, py, ax, ay, bx, by, r) {
  const dx = bx - ax
  const dy = by - ay
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
  return Math.hypot(px - ax - t * dx, py - ay - t * dy) - r
}

const coverage = (d) => Math.max(0, Math.min(1, 0.5 - d))
const mix = (a, b, t) => a.map((v, i) => v + (b[i] - v) * t)
const hex = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16) / 255)

const BODY_TOP = hex('#26324a')
const BODY_BOTTOM = hex('#0b1120')
const CHEVRON_FROM = hex('#22d3ee')
const CHEVRON_TO = hex('#818cf8')
const UNDERSCORE = hex('#e2e8f0')
const STROKE = 46

/** The colour (premultiplied RGBA, 0..1) of the pixel whose centre is (x, y). */
function pixel(x, y) {
  let out = [0, 0, 0, 0]
  const over = (rgb, alpha) => {
    out = [...rgb.map((c, i) => c * alpha + out[i] * (1 - alpha)), alpha + out[3] * (1 - alpha)]
  }
  // Shadow: the body's shape, lower and blurred.
  const shadow = roundedBox(x, y, 512, 530, 412, 412, 184)
  over([0, 0, 0], 0.32 * Math.max(0, 1 - Math.max(0, shadow + 6) / 34) ** 2)
  // Body: a vertical gradient, with a faint light rim along its top edge.
  const body = roundedBox(x, y, 512, 512, 412, 412, 184)
  const bodyColour = mix(BODY_TOP, BODY_BOTTOM, (y - 100) / 824)
  const rim = coverage(Math.abs(body + 3) - 1.5) * Math.max(0, 1 - (y - 100) / 400) * 0.18
  over(mix(bodyColour, [1, 1, 1], rim), coverage(body))
  // Chevron ">": two strokes meeting at the right, coloured along its height.
  const chevron = Math.min(
    capsule(x, y, 318, 352, 490, 512, STROKE),
    capsule(x, y, 490, 512, 318, 672, STROKE),
  )
  over(mix(CHEVRON_FROM, CHEVRON_TO, Math.max(0, Math.min(1, (y - 306) / 412))), coverage(chevron))
  // Underscore "_".
  over(UNDERSCORE, coverage(capsule(x, y, 570, 672, 712, 672, STROKE)))
  return out
}

function png(width, height, rgba) {
  const chunk = (type, data) => {
    const head = Buffer.alloc(8)
    head.writeUInt32BE(data.length, 0)
    head.write(type, 4, 'latin1')
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0)
    return Buffer.concat([head, data, crc])
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr.set([8, 6, 0, 0, 0], 8) // 8-bit, RGBA, deflate, no filter method, no interlace
  const raw = Buffer.alloc((width * 4 + 1) * height)
  for (let y = 0; y < height; y++) rgba.copy(raw, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4)
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

const rgba = Buffer.alloc(SIZE * SIZE * 4)
for (let y = 0; y < SIZE; y++) {
  for (let x = 0; x < SIZE; x++) {
    const [r, g, b, a] = pixel(x + 0.5, y + 0.5)
    const at = (y * SIZE + x) * 4
    // Un-premultiply for PNG's straight alpha.
    rgba[at] = a > 0 ? Math.round((r / a) * 255) : 0
    rgba[at + 1] = a > 0 ? Math.round((g / a) * 255) : 0
    rgba[at + 2] = a > 0 ? Math.round((b / a) * 255) : 0
    rgba[at + 3] = Math.round(a * 255)
  }
}
const out = process.argv[2] ?? fileURLToPath(new URL('./icon.png', import.meta.url))
writeFileSync(out, png(SIZE, SIZE, rgba))
console.log(`wrote ${out}`)
