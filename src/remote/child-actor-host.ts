// Loaded by every child node that runs a supervised actor (`spawn(def, { in })`): a child node
// exposes the actor definitions its modules export, so this module exports only its definition.
import { type Behavior, defineActor } from '../core/behavior.ts'
import type { Ref } from '../core/ref.ts'
import { stoppedAtStart } from './child-module-loading.ts'
import { remoteOf } from './start-node.ts'

/** @internal What the stand-in gives the host. */
export interface ChildActorHostProps {
  /** The export name of the actor's definition in the child's modules. */
  definition: string
  /** The actor's name on the child node. */
  name: string
  props: unknown
  /** The modules the child loaded for the definition, to say why it is missing. */
  modules?: readonly string[]
}

/** @internal The host's answer to `ready`: the actor, or why it could not start. */
export type ChildActorReady = { actor: Ref } | { error: unknown }

interface HostState {
  props: ChildActorHostProps
  actor: Ref | undefined
  error: unknown
}

// The error each actor failed with, for a failure that comes before the stand-in watches it.
const failures = new WeakMap<object, unknown>()

/**
 * @internal The parent of a supervised actor on its child node: it starts the actor and, when the
 * actor fails, stops it rather than restarting it in place (which the child's system would do),
 * so that the stand-in on the parent fails and the parent's supervisor decides.
 */
export const TroupeChildActorHost = defineActor<{ type: 'ready' }, HostState, ChildActorHostProps>({
  init: (props) => ({ props, actor: undefined, error: undefined }),
  started(state, ctx) {
    // The definitions this node exposes are those of its modules: the host reaches nothing else.
    const definition = remoteOf(ctx.system)?.runtime.exposed.get(state.props.definition)
    try {
      if (definition === undefined) throw new Error(missingDefinition(ctx.system.node, state.props))
      state.actor = ctx.spawn(definition as Behavior<unknown, unknown>, {
        name: state.props.name,
        props: state.props.props,
      })
    } catch (error) {
      state.error = error
    }
  },
  receive(state, _message, ctx) {
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
  const stopped = props.modules?.map(stoppedAtStart).find((why) => why !== undefined)
  const name = props.definition
  if (stopped === undefined) return `node ${node} exposes no definition '${name}'`
  return `node ${node} exposes no definition '${name}': ${stopped}, so its exports cannot be read there: export ${name} from a module that does not call start() at its top level`
}
