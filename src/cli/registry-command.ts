import { Command } from 'commander'
import { type CliContext, whenAborted } from './cli-context.ts'
import { startNode, stopNode } from './node.ts'
import { DEFAULT_ROOT_NODE, type LogLevel, logLevelOf, parseNodeName, withNodeOptions } from './options.ts'

/** The options of `troupe registry`. */
export interface RegistryOptions {
  /** The root node, `name@host:port`. */
  node: string
  /** The file holding the cookie. */
  cookieFile?: string
  logLevel?: LogLevel
}

/** `troupe registry [--node name@host:port]`: runs the root node that hosts the cluster registry. */
export function registryCommand(context: CliContext): Command {
  return withNodeOptions(
    new Command('registry')
      .description('run the root node, which hosts the cluster registry, until SIGINT/SIGTERM arrives')
      .option(
        '--node <name@host:port>',
        "the root node's name, and where it listens",
        parseNodeName,
        DEFAULT_ROOT_NODE,
      )
      .addHelpText(
        'after',
        `
Examples:
  $ troupe registry
  $ troupe run examples/cli-ping-pong/pong.ts --node pong@127.0.0.1:9701 --name pong --registry 127.0.0.1:1616`,
      ),
    'warn',
  ).action((options: RegistryOptions) => runRegistry(context, options))
}

/** Runs `troupe registry`; resolves once a signal has stopped the node. */
export async function runRegistry(context: CliContext, options: RegistryOptions): Promise<void> {
  const system = await startNode({
    node: options.node,
    cookieFile: options.cookieFile,
    registry: true,
    logLevel: logLevelOf(options.logLevel, 'warn'),
  })
  try {
    context.print(`registry running at ${system.node}`)
    await whenAborted(context.interrupted)
  } finally {
    await stopNode(system)
  }
}
