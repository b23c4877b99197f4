import { scryptSync } from 'node:crypto'

/**
 * The key a node proves and seals with: the cookie stretched by scrypt, never the cookie itself.
 * Whoever records one handshake (a rogue listener a node dialled, a relay) holds an HMAC it can
 * test guesses of the cookie against offline; with a bare HMAC a guess costs a microsecond or so
 * (about 335k a second on one core here), with this stretch it costs a scrypt, tens of
 * milliseconds and 16 MiB, which turns a typed cookie's hours into centuries. A node pays it once
 * per cookie (cached for the process or thread), when its transport is made.
 */
const SCRYPT = { N: 2 ** 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const
/** A fixed salt: the stretch must give both nodes the same key from the cookie alone. */
const SALT = Buffer.from('troupe cookie key v1', 'utf8')
const KEY_BYTES = 32
/** A process uses one cookie or a few; the cache is bounded all the same. */
const MAX_CACHED = 16

const cache = new Map<string, Buffer>()

/** The stretched key of `cookie` (scrypt, cached). */
export function cookieKey(cookie: string): Buffer {
  let key = cache.get(cookie)
  if (key === undefined) {
    key = scryptSync(cookie, SALT, KEY_BYTES, SCRYPT)
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string)
    cache.set(cookie, key)
  }
  return key
}
