// Loaded by every child node that runs a supervised actor (`spawn(def, { in })`): a child node
// exposes the actor definitions its modules export, so this module exports only its definition.
import { type Behavior, defineActor } from '../../core/behavior.ts'
import { exposedDefinition } from '../../core/exposed-definitions.ts'
import type { Ref } from '../../core/ref.ts'
import { remoteNodeOf } from '../node/remote-node-of.ts'
import { stoppedAtStart } from './child-module-loading.ts'

/** @internal What the stand-in gives the host. */
export interface ChildActorHostProps {
  /**
   * The name of the actor's definition: the name `module` exposes it under or, without `module`,
   * its export name in the child's modules.
   */
  definition: string
  /** The module that exposes the definition at its top level (`expose(import.meta.url, { … })`). */
  module?: string
  /** The actor's name on the child node. */
  name: string
  props: unknown
  /** The modules the child loaded for the definition, to say why it is missing. */
  modules?: readonly string[]
}

/**
 * @internal The host's answer to `ready`: the actor; or the error it failed with; or, as `missing`,
 * why the child node has no such definition (which no restart changes).
 */
export type ChildActorReady = { actor: Ref } | { error: unknown } | { missing: string }

interface HostState {
  props: ChildActorHostProps
  actor: Ref | undefined
  error: unknown
  missing: string | undefined
}

// The error each actor failed with, for a failure that comes before the stand-in watches it.
const failures = new WeakMap<object, unknown>()

/**
 * @internal The parent of a supervised actor on its child node: it starts the actor and, when the
 * actor fails, stops it rather than restarting it in place (which the child's system would do),
 * so that the stand-in on the parent fails and the parent's supervisor decides.
 */
export const TroupeChildActorHost = defineActor<{ type: 'ready' }, HostState, ChildActorHostProps>({
  init: (props) => ({ props, actor: undefined, error: undefined, missing: undefined }),
  started(state, ctx) {
    // The definitions this node exposes are those of its modules: the host reaches nothing else.
    const { definition: name, module } = state.props
    const definition =
      module === undefined
        ? remoteNodeOf(ctx.system)?.runtime.exposed.get(name)
        : exposedDefinition(module, name)
    if (definition === undefined) {
      state.missing = missingDefinition(ctx.system.node, state.props)
      return
    }
    try {
      state.actor = ctx.spawn(definition as Behavior<unknown, unknown>, {
        name: state.props.name,
        props: state.props.props,
      })
    } catch (error) {
      state.error = error
    }
  },
  receive(state, _message, ctx) {
    if (state.missing !== undefined) {
      ctx.reply({ missing: state.missing })
      return state
    }
    const failed = state.actor === undefined ? undefined : failures.get(state.actor)
    const error = state.error ?? failed
    ctx.reply(error === undefined ? { actor: state.actor } : { error })
    return state
  },
  supervision: {
    decide: (error, child) => {
      failures.set(child, error)
      return 'stop'
    },
  },
})

function missingDefinition(node: string, props: ChildActorHostProps): string {
  const name = props.definition
  const module = props.module
  if (module !== undefined) {
    const stopped = stoppedAtStart(module)
    const what = `child node ${node} has no definition '${name}' of ${module}`
    if (stopped === undefined)
      return `${what}: the module did not expose it as it loaded there: call expose(import.meta.url, { ${name} }) at its top level`
    return `${what}: ${stopped}: call expose(import.meta.url, { ${name} }) before start()`
  }
  const stopped = props.modules?.map(stoppedAtStart).find((why) => why !== undefined)
  if (stopped === undefined) {
    const where =
      props.modules === undefined ? '' : `: none of ${props.modules.join(', ')} exports it under that name`
    return `child node ${node} exposes no definition '${name}'${where}`
  }
  return `child node ${node} exposes no definition '${name}': ${stopped}, so its exports cannot be read there: expose it with expose(import.meta.url, { ${name} }) before start(), or export ${name} from a module that does not call start() at its top level`
}
