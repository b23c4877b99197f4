import { InvalidOptionError } from './errors.ts'
import { HandlerCell } from './handler-cell.ts'
import { ProcessCell } from './process-cell.ts'
import type { Runtime } from './runtime.ts'
import { resolveSupervision } from './supervision.ts'
import type { SystemOptions } from './system-options.ts'
import { type Template, unboundedLimits } from './template.ts'

/** Checks what a system's constructor takes before anything is built; throws `InvalidOptionError`. */
export function checkSystemOptions(options: SystemOptions): { node: string; askTimeoutMs: number } {
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError('options', 'expected an object')
  const node = options.node ?? 'local'
  if (typeof node !== 'string' || node.length === 0 || /[/\s]/.test(node)) {
    throw new InvalidOptionError(
      'node',
      `expected a name such as app@127.0.0.1:9700, got ${JSON.stringify(node)}`,
    )
  }
  const askTimeoutMs = options.askTimeoutMs ?? 5000
  if (typeof askTimeoutMs !== 'number' || !(askTimeoutMs > 0)) {
    throw new InvalidOptionError('askTimeoutMs', `expected a number > 0, got ${String(askTimeoutMs)}`)
  }
  for (const key of ['batch', 'sliceMs'] as const) {
    const value = options.scheduler?.[key]
    if (value !== undefined && !(typeof value === 'number' && value > 0)) {
      throw new InvalidOptionError(`scheduler.${key}`, `expected a number > 0, got ${String(value)}`)
    }
  }
  return { node, askTimeoutMs }
}

/** Makes the cell of a new actor: a handler-style or a process-style one, as its template says. */
export function cellFactory(runtime: Runtime): Runtime['createCell'] {
  return (parent, template, props, name) => {
    const nameOrId = name ?? runtime.nextId()
    return template.kind === 'handler'
      ? new HandlerCell(runtime, parent, template, props, nameOrId)
      : new ProcessCell(runtime, parent, template, props, nameOrId)
  }
}

/** The template of `/user`, the guardian: it supervises the system's actors and handles nothing. */
export function guardianTemplate(options: SystemOptions): Template {
  return {
    kind: 'handler',
    definition: {
      receive: (state, _message, ctx) => {
        ctx.unhandled()
        return state
      },
    },
    asyncReceive: false,
    limits: unboundedLimits,
    supervision: resolveSupervision(options.supervision),
    trapExit: false,
  }
}
