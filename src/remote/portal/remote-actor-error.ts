import { TroupeError } from '../../concurrency/errors.ts'
import { errorParts } from '../../core/describe-error.ts'

/**
 * A function run through a portal threw on the other node. `cause` is the original error rebuilt
 * (`instanceof` its class when that class is registered with the codec: the JavaScript built-ins
 * and Troupe's errors always are); `remoteName`, `remoteMessage` and `remoteStack` repeat what it
 * said there, and `actor` is the address of the actor it ran in.
 */
export class RemoteActorError extends TroupeError {
  /** The `name` of the remote error (`TypeError`, …). */
  readonly remoteName: string
  /** The `message` of the remote error. */
  readonly remoteMessage: string
  /** The stack of the remote error, as it was on the remote node. */
  readonly remoteStack: string | undefined
  /** The address of the actor the function ran in (`troupe://node/path`), or of its node. */
  readonly actor: string
  /** The uid of the actor the function ran as (its `currentActor().uid`), when the node said. */
  readonly uid: string | undefined

  constructor(error: unknown, actor: string, uid?: string) {
    const { name, message } = errorParts(error)
    super(`${actor} raised ${name}: ${message}`, { cause: error })
    this.remoteName = name
    this.remoteMessage = message
    this.remoteStack = error instanceof Error && typeof error.stack === 'string' ? error.stack : undefined
    this.actor = actor
    this.uid = uid
  }
}

/**
 * A node refused to run a function it does not expose: only the functions a module gives to
 * `expose(import.meta.url, { … })`, in a module the node has loaded, can be run from another node.
 */
export class NotExposedError extends TroupeError {
  constructor(
    /** The module URL that was asked for. */
    readonly module: string,
    /** The function name that was asked for. */
    readonly functionName: string,
    /** The node that refused. */
    readonly node: string,
    moduleKnown: boolean,
    /** Why the node lacks it, when the node knows (it replaces the general advice). */
    why?: string,
  ) {
    super(
      why !== undefined
        ? `node ${node} does not expose '${functionName}' of ${module}: ${why}`
        : moduleKnown
          ? `node ${node} does not expose '${functionName}' of ${module}: only the functions given to expose(import.meta.url, { … }) can be run`
          : `node ${node} exposes no functions of ${module}: the module must be loaded there (a child node's modules) and call expose(import.meta.url, { '${functionName}': … })`,
    )
  }
}
