/** Control, invisible and direction-changing code points: what lets a name hide or reorder text. */
const isInvisible = (cp: number): boolean =>
  cp < 0x20 ||
  (cp >= 0x7f && cp <= 0x9f) ||
  (cp >= 0x200b && cp <= 0x200f) ||
  (cp >= 0x2028 && cp <= 0x202e) ||
  (cp >= 0x2060 && cp <= 0x206f) ||
  cp === 0xfeff

/** A file name fit for a message or the UI: those code points shown as `\u{…}`. */
export function visibleName(name: string): string {
  let out = ''
  for (const ch of name) {
    const cp = ch.codePointAt(0) ?? 0
    out += isInvisible(cp) ? `\\u{${cp.toString(16)}}` : ch
  }
  return out
}
