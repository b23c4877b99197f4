import type { Logger } from 'pino'
import { InvalidOptionError } from '../../core/errors.ts'
import type { FunctionRef } from '../../core/function-ref.ts'
import type { Runtime } from '../../core/runtime.ts'
import { LogLimiter, suppressedTail } from '../../transport/log-limiter.ts'
import { UntrustedRequestError } from './errors.ts'

/** What an untrusted node takes from its parent node only. */
export type GuardedRequest = 'stop' | 'link' | 'exit' | 'spawn' | 'call' | 'snapshot' | 'observe'

/** The settings of untrusted mode. */
export interface UntrustedSettings {
  /**
   * Exposed functions that any node may still `run`, `stream` or `open` here (what `expose`
   * returned for them); every other function only the parent node may call.
   * @default []
   */
  allow?: readonly FunctionRef[]
}

/** The option that makes a node untrusted. */
export interface TrustOptions {
  /**
   * Takes from other nodes only what cannot harm this node's actors (Akka's untrusted mode):
   * `tell`, `ask`, replies, `watch`, and calls of the functions in `allow`. Stop and kill of its
   * actors, links and their exits, remote spawn, calls of other functions, snapshots of its actors
   * and observing them (`system.observe`) are dropped unless
   * they come from the node's parent node (the node that started it as a child node). A refused
   * request is logged at warn (the same sender and request at most once per 10 s), emitted as the
   * inspection event `{ type: 'refused' }`, and answered with `UntrustedRequestError`: the
   * sender's `system.stop`, remote spawn or call rejects with it.
   * @default false
   */
  untrusted?: boolean | UntrustedSettings
}

/** How often the same refusal (sender and kind) is logged again at most. */
const LOG_EVERY_MS = 10_000

/**
 * Whether `path` is a guardian or a system actor rather than one of the user's actors: `/user`
 * itself (stopping it stops every actor of the node), the root, and anything outside `/user/`.
 */
export function isGuardianPath(path: string): boolean {
  return !/^\/user\/[^/]/.test(path)
}

/** Requests that no other node may aim at a guardian, trusted or not. */
function hitsGuardian(request: GuardedRequest, subject: string): boolean {
  return (request === 'stop' || request === 'link' || request === 'exit') && isGuardianPath(subject)
}

/** Which requests from which node this node takes: everything, unless it is untrusted. */
export class Trust {
  private readonly allowed: ReadonlySet<string>
  private readonly allow: readonly FunctionRef[]
  private readonly logged = new LogLimiter(LOG_EVERY_MS)
  /** The node that started this one as a child node: the one node an untrusted node fully trusts. */
  parent: string | undefined

  constructor(
    readonly untrusted: boolean,
    allow: readonly FunctionRef[],
    private readonly node: string,
    private readonly logger: Logger,
    private readonly runtime: Runtime,
  ) {
    this.allow = allow.map((fn) => ({ module: fn.module, name: fn.name }))
    this.allowed = new Set(allow.map((fn) => keyOf(fn.module, fn.name)))
  }

  /** The option that gives a child node the same trust: an untrusted node's children are untrusted too. */
  toOption(): TrustOptions['untrusted'] {
    if (!this.untrusted) return false
    return this.allow.length === 0 ? true : { allow: this.allow }
  }

  /** Reads the `untrusted` option; throws `InvalidOptionError` for a malformed one. */
  static of(option: TrustOptions['untrusted'], node: string, logger: Logger, runtime: Runtime): Trust {
    if (option === undefined || option === false) return new Trust(false, [], node, logger, runtime)
    if (option === true) return new Trust(true, [], node, logger, runtime)
    if (typeof option !== 'object' || option === null)
      throw new InvalidOptionError('untrusted', 'expected true, false or { allow: [exposed functions] }')
    const allow = option.allow ?? []
    if (
      !Array.isArray(allow) ||
      !allow.every((fn) => typeof fn?.module === 'string' && typeof fn?.name === 'string')
    )
      throw new InvalidOptionError(
        'untrusted.allow',
        'expected an array of exposed functions (what expose(import.meta.url, { … }) returned)',
      )
    return new Trust(true, allow, node, logger, runtime)
  }

  /**
   * Whether this node drops `request` (about `subject`: an actor's path, a definition, a function)
   * from `from`. A `stop`, `link` or `exit` aimed at a guardian or a system actor is dropped from
   * every node, trusted or not: one such stop of `/user` stops every actor of the node. A refusal
   * is logged and emitted here.
   */
  refuses(from: string, request: GuardedRequest, subject: string): boolean {
    if (hitsGuardian(request, subject)) {
      this.record(from, request, subject, 'it is a guardian or a system actor')
      return true
    }
    if (!this.untrusted || from === this.parent) return false
    this.record(from, request, subject, 'this node is untrusted')
    return true
  }

  /** The error that answers `request` from `from`, if this node refuses it. */
  refusal(from: string, request: GuardedRequest, subject: string): UntrustedRequestError | undefined {
    if (!this.refuses(from, request, subject)) return undefined
    const error = new UntrustedRequestError(this.node, from, request, subject)
    if (hitsGuardian(request, subject))
      error.message = `node ${this.node} refused the '${request}' of ${subject} from ${from}: it is a guardian or a system actor, which no other node may stop, link to or exit`
    return error
  }

  /** The error that answers a call of `module`#`name` from `from`, unless the call may go ahead. */
  callRefusal(from: string, module: string, name: string): UntrustedRequestError | undefined {
    if (!this.untrusted || this.allowed.has(keyOf(module, name))) return undefined
    return this.refusal(from, 'call', `'${name}' of ${module}`)
  }

  private record(from: string, request: GuardedRequest, subject: string, why: string): void {
    if (this.runtime.inspecting) this.runtime.emit({ type: 'refused', from, request, subject })
    const suppressed = this.logged.admit(`${from}|${request}|${why}`)
    if (suppressed === undefined) return
    this.logger.warn(
      { peer: from, request },
      `refused a '${request}' of ${escaped(subject)} from node ${escaped(from)}: ${why}${suppressedTail(suppressed)}`,
    )
  }
}

function keyOf(module: string, name: string): string {
  return `${module}#${name}`
}

/** A value from another node, safe to print: quoted, control characters escaped, bounded. */
function escaped(text: string): string {
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text)
}
