import { Command } from 'commander'
import { type ActorSystem, type Behavior, listActors, type Ref } from '../index.ts'
import { loadAllowedCalls } from './allowed-calls.ts'
import { type CliContext, whenAborted } from './cli-context.ts'
import { CommandFailedError, describeError, UsageError } from './cli-errors.ts'
import { confirmReachable } from './confirm-reachable.ts'
import { loadBehavior } from './load-behavior.ts'
import { checkLocator, locate, namesInOf } from './locate.ts'
import { startNode, stopNode } from './node.ts'
import {
  type AllowedCall,
  checkNodeForNats,
  collectAllow,
  collectUsing,
  joinRegistryOption,
  type LogLevel,
  logLevelOf,
  natsPrefixOption,
  nodeNatsOption,
  parseActorName,
  parseAnyNodeName,
  parseMilliseconds,
  type Using,
  withNodeOptions,
} from './options.ts'

/** The options of `troupe run`. */
export interface RunOptions {
  /** This node, `name@host:port` (any name with `nats`). */
  node: string
  /** The NATS servers to find other nodes on, instead of TCP. */
  nats?: string[]
  /** The subject prefix of the NATS cluster. @default 'troupe' */
  natsPrefix?: string
  /** The actor's name. */
  name: string
  /** The cluster registry to join, `host:port`. */
  registry?: string
  /** The refs given to the actor as props. */
  using?: Using[]
  /** How long to wait for a name of `using` to be registered, in milliseconds. */
  usingTimeout: number
  /**
   * How long to keep trying to reach the node of each actor of `using` before exiting 1 with the
   * reason (refused connection, cookie mismatch, no actor there), in milliseconds.
   * @default 5000
   */
  connectTimeout: number
  /** The file holding the cookie. */
  cookieFile?: string
  logLevel?: LogLevel
  /**
   * Take stop, link, exit, remote spawn and calls from no node (this node has no parent node).
   * @default false
   */
  untrusted?: boolean
  /** With `untrusted`: the exposed functions any node may still call, as `module#function`. */
  allow?: AllowedCall[]
}

/**
 * `troupe run <module>[#export] --node name@host:port --name NAME [--using key=ADDRESS ...]`:
 * starts a node, spawns the module's actor under NAME with `{ [key]: Ref }` props, prints one line
 * when it is ready and runs until the actor stops or a signal arrives. The actor starts only once
 * every `--using` actor has been reached (within `--connect-timeout`).
 */
export function runCommand(context: CliContext): Command {
  return withNodeOptions(
    new Command('run')
      .description(
        'start a node and run an actor from a module on it, until the actor stops or SIGINT/SIGTERM arrives',
      )
      .argument(
        '<module>',
        'a .ts or .js module, with #export to take a named export instead of the default one',
      )
      .requiredOption(
        '--node <name@host:port>',
        "this node's name, and where it listens (with --nats any name: nodes find each other on NATS)",
        parseAnyNodeName,
      )
      .requiredOption(
        '--name <name>',
        "the actor's name (its address is troupe://<node>/user/<name>)",
        parseActorName,
      )
      .addOption(joinRegistryOption())
      .addOption(nodeNatsOption())
      .addOption(natsPrefixOption())
      .option(
        '--using <key=address>',
        'give the actor the ref of another actor as props[key]: a troupe://<node>/<path> address, or a name with --registry or --nats (repeatable)',
        collectUsing,
      )
      .option(
        '--using-timeout <ms>',
        'how long to wait for a name given to --using to be registered',
        parseMilliseconds,
        10_000,
      )
      .option(
        '--untrusted',
        'refuse stops, links, exits, remote spawns and calls from other nodes (they still tell, ask and watch), answering each with UntrustedRequestError',
      )
      .option(
        '--allow <module#function>',
        'with --untrusted: a function the module exposes that any node may still run, stream or open (repeatable, or comma-separated)',
        collectAllow,
      )
      .option(
        '--connect-timeout <ms>',
        'how long to keep trying to reach the node of each --using actor before exiting 1 with the reason',
        parseMilliseconds,
        5_000,
      )
      .addHelpText(
        'after',
        `
Examples:
  $ troupe run examples/spinoff-example2/other.ts --node other@127.0.0.1:9701 --name other
  $ troupe run examples/spinoff-example2/main-actor.ts --node main@127.0.0.1:9702 --name main-actor \\
      --using other_actor=troupe://other@127.0.0.1:9701/user/other
  $ troupe run examples/cli-ping-pong/pong.ts --node pong@127.0.0.1:9703 --name pong --untrusted \\
      --allow functions.ts#hi
  $ troupe run examples/cli-ping-pong/pong.ts --node pong --name pong --nats nats://127.0.0.1:4222`,
      ),
    'warn',
  ).action((module: string, options: RunOptions) => runActor(context, module, options))
}

/** Runs `troupe run`; resolves when the actor has stopped normally or a signal stopped the node. */
export async function runActor(context: CliContext, module: string, options: RunOptions): Promise<void> {
  checkNodeForNats(options.node, options.nats, options.natsPrefix)
  for (const using of options.using ?? [])
    checkLocator(using.locator, namesInOf(options), `--using ${using.key}`)
  if (options.allow !== undefined && options.untrusted !== true)
    throw new UsageError(
      '--allow names what an untrusted node still runs for other nodes: give --untrusted too',
    )
  const loaded = await loadBehavior(module)
  const allow = options.allow === undefined ? [] : await loadAllowedCalls(options.allow)
  const system = await startNode({
    node: options.node,
    ...(options.nats === undefined
      ? {}
      : {
          nats: {
            servers: options.nats,
            ...(options.natsPrefix === undefined ? {} : { prefix: options.natsPrefix }),
          },
        }),
    cookieFile: options.cookieFile,
    registry: options.registry,
    logLevel: logLevelOf(options.logLevel, 'warn'),
    ...(options.untrusted === true ? { untrusted: allow.length === 0 ? true : { allow } } : {}),
  })
  try {
    system.expose({ [loaded.exposedName]: loaded.behavior })
    const props: Record<string, Ref> = {}
    try {
      for (const using of options.using ?? []) {
        const what = `--using ${using.key}`
        const ref = await locate(system, using.locator, {
          namesIn: namesInOf(options),
          wait: true,
          timeoutMs: options.usingTimeout,
          what,
          signal: context.interrupted,
        })
        // An actor given a ref it cannot reach would fail and be restarted without end.
        await confirmReachable(system, ref, {
          timeoutMs: options.connectTimeout,
          what,
          signal: context.interrupted,
        })
        props[using.key] = ref
      }
    } catch (error) {
      if (context.interrupted.aborted) return
      throw error
    }
    if (context.interrupted.aborted) return
    const behavior = loaded.behavior as unknown as Behavior<unknown, Record<string, Ref>>
    const ref = system.spawn(behavior, { name: options.name, props })
    if (options.registry !== undefined) await confirmRegistration(system, ref, options.registry)
    context.print(`${options.name} running at ${ref.address}`)
    const ended = await Promise.race([system.watch(ref), whenAborted(context.interrupted)])
    if (ended === undefined) return
    if (ended.reason === 'failed') {
      throw new CommandFailedError(`${options.name} failed: ${describeError(ended.error)}`, {
        cause: ended.error,
      })
    }
    context.print(`${options.name} stopped (${ended.reason})`)
  } finally {
    await stopNode(system)
  }
}

/**
 * Waits until the registry lists the actor, so that the ready line means it can be found by name:
 * the list is asked after the registration, over the same connection, so it answers after it.
 * A name another node's actor holds is refused by the registry: that is a failure.
 */
async function confirmRegistration(system: ActorSystem, ref: Ref, registry: string): Promise<void> {
  const entry = (await listActors(system)).find((actor) => actor.name === ref.name)
  if (entry === undefined)
    throw new CommandFailedError(`${ref.name} is not registered in the cluster registry at ${registry}`)
  if (entry.address !== ref.address) {
    throw new CommandFailedError(
      `the name '${ref.name}' is taken in the cluster registry at ${registry} by ${entry.address}`,
    )
  }
}
