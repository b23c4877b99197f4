import { timingSafeEqual } from 'node:crypto'
import { type Component, defineComponent } from '../component.ts'
import { StatusError } from '../errors.ts'
import { deriveEvent } from '../event.ts'
import { rebuildable } from '../recipes.ts'

/** Options of {@link BasicAuth}. */
export interface BasicAuthOptions {
  /** The users and their passwords; or a check of your own. */
  users: Readonly<Record<string, string>> | ((user: string, password: string) => boolean | Promise<boolean>)
  /** The realm the 401 names. @default 'troupe' */
  realm?: string
}

/**
 * A component that lets through events whose `meta.headers.authorization` carries good HTTP
 * Basic credentials (adding `meta.user`), and sends the rest to the error route with a 401
 * `StatusError`, which `Http` answers as it is, with its `www-authenticate` header.
 */
export function BasicAuth(options: BasicAuthOptions): Component {
  const realm = options.realm ?? 'troupe'
  const check =
    typeof options.users === 'function'
      ? options.users
      : (user: string, password: string) => matches((options.users as Record<string, string>)[user], password)
  const refuse = (why: string) =>
    new StatusError(401, why, { 'www-authenticate': `Basic realm="${realm}", charset="UTF-8"` })
  return rebuildable(
    defineComponent({
      type: 'BasicAuth',
      async receive(event, ctx) {
        const headers = event.meta.headers as Record<string, unknown> | undefined
        const header = headers?.authorization
        if (typeof header !== 'string' || !header.startsWith('Basic '))
          throw refuse('authentication required')
        const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8')
        const colon = decoded.indexOf(':')
        const user = colon < 0 ? decoded : decoded.slice(0, colon)
        if (colon < 0 || !(await check(user, decoded.slice(colon + 1))))
          throw refuse('bad user name or password')
        await ctx.emit(deriveEvent(event, event.data, { user }))
      },
    }),
    'BasicAuth',
    options,
  )
}

function matches(expected: string | undefined, given: string): boolean {
  if (expected === undefined) return false
  const a = Buffer.from(expected)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}
