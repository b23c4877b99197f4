/**
 * Node names as NATS subject tokens. A name may hold `.`, `*`, `>` and spaces, which a subject
 * gives meaning to (or forbids), so every byte of its UTF-8 other than a letter, a digit, `-` or
 * `_` is written `%XX`, as in a URL: reversible, and two names never share a token.
 */

const SAFE = /^[A-Za-z0-9_-]$/

/** The subject token of a node name: `app@127.0.0.1:9700` → `app%40127%2E0%2E0%2E1%3A9700`. */
export function subjectToken(node: string): string {
  let out = ''
  for (const char of node) {
    if (SAFE.test(char)) {
      out += char
      continue
    }
    for (const byte of Buffer.from(char, 'utf8'))
      out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/** The node name a subject token stands for; throws `URIError` for a token {@link subjectToken} never makes. */
export function nodeOfToken(token: string): string {
  return decodeURIComponent(token)
}

/** The inbox subject of `node` in the cluster of `prefix`: `<prefix>.node.<token>`. */
export function inboxSubject(prefix: string, node: string): string {
  return `${prefix}.node.${subjectToken(node)}`
}
