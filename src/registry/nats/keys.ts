import { InvalidOptionError } from '../../core/errors.ts'

// KV keys and subject tokens allow fewer characters than actor and node names do (`@`, `:` and `.`
// would be refused or split the subject), so every other character is escaped as `=XX`.
const plain = /[A-Za-z0-9_-]/

/** `name` as one KV key or subject token: letters, digits, `_` and `-` kept, the rest as `=XX`. */
export function encodeToken(name: string): string {
  let out = ''
  for (const char of name) {
    if (plain.test(char)) out += char
    else for (const byte of Buffer.from(char, 'utf8')) out += `=${byte.toString(16).padStart(2, '0')}`
  }
  return out
}

/** The name a token of {@link encodeToken} stands for. */
export function decodeToken(token: string): string {
  return Buffer.from(
    token.replace(/=([0-9a-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
    'latin1',
  ).toString('utf8')
}

/** Checks a cluster prefix: it names buckets and subjects, so letters, digits, `_` and `-` only. */
export function checkPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(prefix)) {
    throw new InvalidOptionError(
      'prefix',
      `expected 1 to 64 letters, digits, _ or -, got ${JSON.stringify(prefix)}`,
    )
  }
}

/** The bucket of the cluster's names. */
export const namesBucket = (prefix: string): string => `${prefix}-names`
/** The bucket of the cluster's members. */
export const membersBucket = (prefix: string): string => `${prefix}-members`
/** The subject a member publishes its heartbeats on. */
export const heartbeatSubject = (prefix: string, node: string): string => `${prefix}.hb.${encodeToken(node)}`
