import { Command } from 'commander'
import { type ActorSystem, start } from '../index.ts'
import { type CliContext, whenAborted } from './cli-context.ts'
import { UsageError } from './cli-errors.ts'
import { startNode, stopNode } from './node.ts'
import {
  checkClientNats,
  checkNodeForNats,
  joinRegistryOption,
  type LogLevel,
  logLevelOf,
  natsOption,
  natsPrefixOption,
  natsSettingsOf,
  parseAnyNodeName,
  withNodeOptions,
} from './options.ts'

/** The options of `troupe flow`. */
export interface FlowOptions {
  /** Check the graph and exit, starting nothing. */
  check?: boolean
  logLevel?: LogLevel
  /** The director's node, for a graph that places components on other nodes (`on:`). */
  node?: string
  nats?: string[]
  natsPrefix?: string
  registry?: string
  cookieFile?: string
}

/**
 * `troupe flow <graph.yaml>`: builds the data-flow graph a YAML or JSON file describes and runs it
 * until SIGINT or SIGTERM, then stops it, letting the events in flight drain. `--check` checks the
 * file (its shape, component types and options, connections and cycles) and starts nothing. A
 * file with an error exits 2 with one line that names its line and component.
 */
export function flowCommand(context: CliContext): Command {
  return withNodeOptions(
    new Command('flow')
      .description('run a data-flow graph described in a YAML or JSON file, until SIGINT or SIGTERM')
      .argument('<graph>', 'the graph file (.yaml, .yml or .json)')
      .option('--check', 'check the graph and exit, starting nothing')
      .option(
        '--node <name@host:port>',
        'run the graph on a node of this name, for components placed on other nodes (on: <node>); with --nats any name',
        parseAnyNodeName,
      )
      .addOption(natsOption())
      .addOption(natsPrefixOption())
      .addOption(joinRegistryOption())
      .addHelpText(
        'after',
        `
Examples:
  $ troupe flow examples/flow/one-way.yaml
  $ troupe flow --check examples/flow/http.yaml
  $ troupe flow graph.yaml --node director@127.0.0.1:9801   # with components on: <a troupe flow-host>`,
      ),
    'warn',
  ).action((file: string, options: FlowOptions) => runFlow(context, file, options))
}

/** Runs `troupe flow`; resolves once the graph stopped (or, with `--check`, once it is checked). */
export async function runFlow(context: CliContext, file: string, options: FlowOptions): Promise<void> {
  // Loaded only for this command: the flow layer brings ZeroMQ's native module and YAML along.
  const { GraphError, loadGraph } = await import('../flow/index.ts')
  /** A graph that cannot run is a bad argument: exit 2, with the line that says why. */
  const asUsage = (error: unknown): never => {
    if (error instanceof GraphError) throw new UsageError(error.message, { cause: error })
    if ((error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT')
      throw new UsageError((error as Error).message, { cause: error })
    throw error
  }
  const system = await directorNode(options)
  try {
    const flow = await loadGraph(system, file).catch(asUsage)
    if (options.check === true) {
      try {
        flow.check()
      } catch (error) {
        asUsage(error)
      }
      const { components, connections } = flow.describe()
      context.print(`${file}: ${components.length} components, ${connections.length} connections: ok`)
      return
    }
    await flow.start().catch(asUsage)
    context.print(
      `${file}: running ${flow.describe().components.length} components (SIGINT or SIGTERM stops them)`,
    )
    await whenAborted(context.interrupted)
    await flow.stop()
    context.print(`${file}: stopped`)
  } finally {
    await stopNode(system)
  }
}

/** The system the graph runs on: a node when the options name one (or NATS), else a local system. */
async function directorNode(options: FlowOptions): Promise<ActorSystem> {
  const logLevel = logLevelOf(options.logLevel, 'warn')
  if (options.node === undefined && options.nats === undefined) {
    if (options.registry !== undefined || options.natsPrefix !== undefined)
      throw new UsageError('--registry and --nats-prefix are settings of a node: give --node (or --nats) too')
    return await start({ logLevel })
  }
  checkClientNats(options)
  if (options.node !== undefined) checkNodeForNats(options.node, options.nats, options.natsPrefix)
  const nats = natsSettingsOf(options)
  return await startNode({
    node: options.node,
    logLevel,
    cookieFile: options.cookieFile,
    registry: options.registry,
    ...(nats === undefined ? {} : { nats }),
  })
}
