import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Command } from 'commander'
import { type CliContext, whenAborted } from './cli-context.ts'
import { CommandFailedError, UsageError } from './cli-errors.ts'
import { describeLoadError } from './module-load-error.ts'
import { startNode, stopNode } from './node.ts'
import {
  checkClientNats,
  checkNodeForNats,
  joinRegistryOption,
  type LogLevel,
  logLevelOf,
  natsPrefixOption,
  natsSettingsOf,
  nodeNatsOption,
  parseAnyNodeName,
  withNodeOptions,
} from './options.ts'

/** The options of `troupe flow-host`. */
export interface FlowHostOptions {
  /** This node, `name@host:port` (any name with `nats`). */
  node: string
  nats?: string[]
  natsPrefix?: string
  registry?: string
  /** Modules to load first, whose `exposeComponents` calls make their components known here. */
  load?: string[]
  cookieFile?: string
  logLevel?: LogLevel
}

/**
 * `troupe flow-host --node name@host:port [--load module.ts …]`: runs a node that hosts the
 * components that directors on other nodes place on it (`{ on: node }`, `on:` in a graph file),
 * until SIGINT or SIGTERM. Built-ins and graph-file components need nothing more; a component of
 * your own needs its module, given to `--load`, to expose it there.
 */
export function flowHostCommand(context: CliContext): Command {
  return withNodeOptions(
    new Command('flow-host')
      .description(
        'run a node that hosts data-flow components for directors on other nodes, until SIGINT or SIGTERM',
      )
      .requiredOption(
        '--node <name@host:port>',
        "this node's name, and where it listens (with --nats any name)",
        parseAnyNodeName,
      )
      .option(
        '--load <module>',
        'a module that exposes components (exposeComponents) to load first (repeatable)',
        (value: string, previous: string[] = []) => [...previous, value],
      )
      .addOption(nodeNatsOption())
      .addOption(natsPrefixOption())
      .addOption(joinRegistryOption())
      .addHelpText(
        'after',
        `
Examples:
  $ troupe flow-host --node worker@127.0.0.1:9802
  $ troupe flow-host --node worker --nats nats://127.0.0.1:4222 --load parts.ts`,
      ),
    'warn',
  ).action((options: FlowHostOptions) => runFlowHost(context, options))
}

/** Runs `troupe flow-host`; resolves once a signal stopped the node. */
export async function runFlowHost(context: CliContext, options: FlowHostOptions): Promise<void> {
  checkClientNats(options)
  checkNodeForNats(options.node, options.nats, options.natsPrefix)
  for (const module of options.load ?? []) await load(module)
  const nats = natsSettingsOf(options)
  const system = await startNode({
    node: options.node,
    logLevel: logLevelOf(options.logLevel, 'warn'),
    cookieFile: options.cookieFile,
    registry: options.registry,
    ...(nats === undefined ? {} : { nats }),
  })
  try {
    // Loaded only for this command: the flow layer brings ZeroMQ's native module and YAML along.
    const { hostComponents } = await import('../flow/index.ts')
    hostComponents(system)
    context.print(`${system.node}: hosting components (SIGINT or SIGTERM stops it)`)
    await whenAborted(context.interrupted)
  } finally {
    await stopNode(system)
  }
}

/** Imports `module`, so that what it exposes is known on this node. */
async function load(module: string): Promise<void> {
  const file = resolve(module)
  if (!existsSync(file)) throw new UsageError(`--load: no module at ${file}`)
  try {
    await import(pathToFileURL(file).href)
  } catch (error) {
    throw new CommandFailedError(`cannot load ${module}: ${describeLoadError(error)}`, { cause: error })
  }
}
