import { InvalidOptionError } from './errors.ts'

/**
 * The `href` of a module given as a file URL (`import.meta.url`, a `URL`), as a child node loads
 * it; anything else (a relative path, another scheme) is an `InvalidOptionError` for `option`.
 */
export function fileUrlOf(module: unknown, option = 'modules'): string {
  let url: URL
  try {
    url = module instanceof URL ? module : new URL(String(module))
  } catch {
    throw new InvalidOptionError(option, `expected file URLs (import.meta.url), got ${String(module)}`)
  }
  if (url.protocol !== 'file:')
    throw new InvalidOptionError(option, `expected file URLs (import.meta.url), got ${url.href}`)
  return url.href
}
