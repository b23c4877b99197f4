/**
 * Whether the JSON text `text` nests objects and arrays deeper than `maxDepth`, read in one pass
 * without parsing (so that a hostile body is refused before anything is built from it).
 * Brackets inside strings do not count.
 */
export function jsonDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c)
        i++ // a backslash: skip what it escapes
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return true
    } else if (c === 0x7d || c === 0x5d) depth--
  }
  return false
}
