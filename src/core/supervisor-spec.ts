import { InvalidOptionError } from './errors.ts'
import { homeOf } from './exposed-definitions.ts'
import { fileUrlOf } from './module-url.ts'
import { checkName } from './names.ts'
import { resolveSupervision, type Supervision } from './supervision.ts'
import type { ChildSpec, SupervisorSpec } from './supervisor.ts'
import { resolveLimits, templateOf } from './template.ts'

const restartTypes = ['permanent', 'transient', 'temporary'] as const

/** The option names of a supervisor spec, by the names `resolveSupervision` gives them. */
const specOptionNames: Readonly<Record<string, string>> = {
  'supervision.strategy': 'strategy',
  'supervision.maxRestarts': 'intensity',
  'supervision.withinMs': 'periodMs',
}

/**
 * Checks a whole supervisor spec and resolves its supervision: a spec that cannot work is refused
 * when it is written, since restarting the supervisor would only fail the same way again.
 * Throws `InvalidOptionError` naming the field (`children[1].mailbox.capacity`) and the child.
 */
export function checkSupervisorSpec(spec: SupervisorSpec): Supervision {
  if (typeof spec !== 'object' || spec === null)
    throw new InvalidOptionError('spec', 'expected { children: [...] } and, optionally, a strategy')
  if (!Array.isArray(spec.children))
    throw new InvalidOptionError('children', `expected an array of child specs, got ${String(spec.children)}`)
  const settings = renamed(
    () =>
      resolveSupervision({
        strategy: spec.strategy ?? 'one-for-one',
        maxRestarts: spec.intensity ?? 3,
        withinMs: spec.periodMs ?? 5000,
        ...(spec.backoff === undefined ? {} : { backoff: spec.backoff }),
      }),
    (option) => specOptionNames[option] ?? option.replace(/^supervision\./, ''),
  )
  const names = new Set<string>()
  spec.children.forEach((child, index) => {
    checkChildSpec(child, `children[${index}]`)
    if (names.has(child.name))
      throw new InvalidOptionError(
        `children[${index}].name`,
        `two children are named '${child.name}': names are unique on a node`,
      )
    names.add(child.name)
  })
  return settings
}

/**
 * Checks one child spec, as `supervisor` does for each of its children and for `start-child`.
 * `field` is where the spec sits (`children[0]`), for the error's option name.
 */
export function checkChildSpec(child: ChildSpec, field = 'spec'): void {
  if (typeof child !== 'object' || child === null)
    throw new InvalidOptionError(field, `expected a child spec { name, behavior }, got ${String(child)}`)
  renamed(
    () => checkName(child.name),
    () => `${field}.name`,
  )
  const which = `child '${child.name}'`
  if (child.behavior === undefined)
    throw new InvalidOptionError(`${field}.behavior`, `${which} has no behavior: give a defineActor(...)`)
  renamed(
    () => templateOf(child.behavior, undefined),
    (option) => (option === 'behavior' ? `${field}.behavior` : `${field}.behavior.${option}`),
    which,
  )
  if (child.restart !== undefined && !restartTypes.includes(child.restart)) {
    throw new InvalidOptionError(
      `${field}.restart`,
      `${which}: expected one of ${restartTypes.join(', ')}, got ${String(child.restart)}`,
    )
  }
  if (child.mailbox !== undefined)
    renamed(
      () => resolveLimits(child.mailbox, `${field}.mailbox`),
      (option) => option,
      which,
    )
  if (child.in === undefined) return
  if (child.in !== 'thread' && child.in !== 'process')
    throw new InvalidOptionError(
      `${field}.in`,
      `${which}: expected 'thread' or 'process', got ${String(child.in)}`,
    )
  const modules: unknown = child.modules
  if (modules !== undefined && !Array.isArray(modules))
    throw new InvalidOptionError(
      `${field}.modules`,
      `${which}: expected an array of file URLs (import.meta.url)`,
    )
  // A definition exposed at its module's top level tells the child node where it is.
  if ((child.modules ?? []).length === 0 && homeOf(child.behavior) === undefined) {
    throw new InvalidOptionError(
      `${field}.modules`,
      `${which} runs in a ${child.in}: expose its definition at the top level of its module, before this supervisor is defined (expose(import.meta.url, { Worker })), or give the modules its child node loads, one of which exports it (modules: [import.meta.url])`,
    )
  }
  for (const module of child.modules ?? [])
    renamed(
      () => fileUrlOf(module, `${field}.modules`),
      (option) => option,
      which,
    )
}

/**
 * Runs `check`; an `InvalidOptionError` it throws is thrown again under the option name the spec
 * gives that field (`rename(option)`), saying `which` child it is about.
 */
function renamed<T>(check: () => T, rename: (option: string) => string, which?: string): T {
  try {
    return check()
  } catch (error) {
    if (!(error instanceof InvalidOptionError)) throw error
    const detail = error.message.slice(`invalid option '${error.option}': `.length)
    throw new InvalidOptionError(rename(error.option), which === undefined ? detail : `${which}: ${detail}`)
  }
}
