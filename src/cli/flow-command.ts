import { Command } from 'commander'
import { GraphError, loadGraph } from '../flow/index.ts'
import { start } from '../index.ts'
import { type CliContext, whenAborted } from './cli-context.ts'
import { UsageError } from './cli-errors.ts'
import { stopNode } from './node.ts'
import { type LogLevel, logLevelOf, withNodeOptions } from './options.ts'

/** The options of `troupe flow`. */
export interface FlowOptions {
  /** Check the graph and exit, starting nothing. */
  check?: boolean
  logLevel?: LogLevel
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
      .addHelpText(
        'after',
        `
Examples:
  $ troupe flow examples/flow/one-way.yaml
  $ troupe flow --check examples/flow/http.yaml`,
      ),
    'warn',
  ).action((file: string, options: FlowOptions) => runFlow(context, file, options))
}

/** Runs `troupe flow`; resolves once the graph stopped (or, with `--check`, once it is checked). */
export async function runFlow(context: CliContext, file: string, options: FlowOptions): Promise<void> {
  const system = await start({ logLevel: logLevelOf(options.logLevel, 'warn') })
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

/** A graph that cannot run is a bad argument: exit 2, with the line that says why. */
function asUsage(error: unknown): never {
  if (error instanceof GraphError) throw new UsageError(error.message, { cause: error })
  if ((error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT')
    throw new UsageError((error as Error).message, { cause: error })
  throw error
}
