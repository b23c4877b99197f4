import { type AnyBehavior, InvalidOptionError } from '../index.ts'
import type { ExposedType } from './options.ts'

const byModule = new Map<string, Readonly<Record<string, ExposedType | AnyBehavior>>>()

/**
 * Lists the actor types a module lets the gateway spawn, for `troupe gateway --load module.ts`:
 * the command loads the module and serves the types it exposed (`PUT /actors/:name` with
 * `{ type }`). Returns `types`, to pass to `startGateway` in a program of your own too.
 *
 * @example
 * ```ts
 * export const types = exposeTypes(import.meta.url, { counter: Counter })
 * ```
 */
export function exposeTypes<T extends Readonly<Record<string, ExposedType | AnyBehavior>>>(
  moduleUrl: string,
  types: T,
): T {
  if (typeof moduleUrl !== 'string' || !moduleUrl.startsWith('file:'))
    throw new InvalidOptionError('moduleUrl', 'expected the file URL of the module (import.meta.url)')
  if (typeof types !== 'object' || types === null)
    throw new InvalidOptionError('types', 'expected an object of actor types by name')
  byModule.set(moduleUrl, { ...byModule.get(moduleUrl), ...types })
  return types
}

/** The types the module at `moduleUrl` exposed with {@link exposeTypes} (none if it did not). */
export function typesExposedBy(moduleUrl: string): Readonly<Record<string, ExposedType | AnyBehavior>> {
  return byModule.get(moduleUrl) ?? {}
}
