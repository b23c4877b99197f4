import type { ServiceOptions } from '../core/core-extensions.ts'
import { InvalidOptionError } from '../core/errors.ts'

/** @default 16: handlers of one service in flight on one node. */
export const DEFAULT_CONCURRENCY = 16
/** @default 1000: requests of one service waiting for a handler on one node. */
export const DEFAULT_MAX_QUEUED = 1000
/** @default '1.0.0' */
export const DEFAULT_VERSION = '1.0.0'

// The NATS services protocol's rule for names (nats.js, Go's micro): letters, digits, '_' and '-'.
const SERVICE_NAME = /^[A-Za-z0-9_-]+$/
// The same tokens, joined by dots: a subject prefix with no wildcards.
const PREFIX = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/
// Semantic versioning 2.0.0, as the protocol requires of `version`.
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/

/** The options of one service, checked, with their defaults. */
export interface ResolvedServiceOptions {
  readonly version: string
  readonly description: string
  readonly metadata: Readonly<Record<string, string>>
  readonly concurrency: number
  readonly maxQueued: number
}

/** Throws `InvalidOptionError` unless `name` is a NATS service name. */
export function checkServiceName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !SERVICE_NAME.test(name)) {
    throw new InvalidOptionError(
      'name',
      `a service name is letters, digits, '_' and '-' (the NATS services rule), got ${JSON.stringify(name)}`,
    )
  }
}

/** Throws `InvalidOptionError` unless `prefix` is a subject prefix without wildcards. */
export function checkPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw new InvalidOptionError(
      'prefix',
      `expected subject tokens of letters, digits, '-' and '_' joined by '.', got ${JSON.stringify(prefix)}`,
    )
  }
}

/** Throws `InvalidOptionError` unless `value` is a number of milliseconds > 0. */
export function checkTimeout(option: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value))
    throw new InvalidOptionError(option, `expected milliseconds > 0, got ${String(value)}`)
}

/** Checks the options of `system.service` and fills in the defaults. */
export function resolveServiceOptions(options: ServiceOptions | undefined): ResolvedServiceOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null))
    throw new InvalidOptionError('options', 'expected an object')
  const version = options?.version ?? DEFAULT_VERSION
  if (typeof version !== 'string' || !SEMVER.test(version))
    throw new InvalidOptionError('version', `expected a semantic version, got ${JSON.stringify(version)}`)
  const description = options?.description ?? ''
  if (typeof description !== 'string')
    throw new InvalidOptionError('description', `expected a string, got ${typeof description}`)
  const metadata = options?.metadata ?? {}
  if (typeof metadata !== 'object' || metadata === null)
    throw new InvalidOptionError('metadata', 'expected an object of strings')
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string')
      throw new InvalidOptionError(`metadata.${key}`, `expected a string, got ${typeof value}`)
  }
  const concurrency = options?.concurrency ?? DEFAULT_CONCURRENCY
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new InvalidOptionError('concurrency', `expected an integer >= 1, got ${String(concurrency)}`)
  const maxQueued = options?.maxQueued ?? DEFAULT_MAX_QUEUED
  if (!Number.isInteger(maxQueued) || maxQueued < 0)
    throw new InvalidOptionError('maxQueued', `expected an integer >= 0, got ${String(maxQueued)}`)
  return { version, description, metadata: { ...metadata }, concurrency, maxQueued }
}
