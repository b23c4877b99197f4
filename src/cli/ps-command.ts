import { Command } from 'commander'
import { listActors, type RegisteredActor } from '../index.ts'
import { type CliContext, whenAborted } from './cli-context.ts'
import { startClientNode, stopNode } from './node.ts'
import { DEFAULT_REGISTRY, type LogLevel, logLevelOf, parseRegistry, withNodeOptions } from './options.ts'

/** The options of `troupe ps`. */
export interface PsOptions {
  /** The root node hosting the registry, `host:port`. */
  registry: string
  /** The file holding the cookie. */
  cookieFile?: string
  logLevel?: LogLevel
}

/** `troupe ps [--registry host:port]`: lists the actors of the cluster registry and their nodes. */
export function psCommand(context: CliContext): Command {
  return withNodeOptions(
    new Command('ps')
      .description('list the actors registered in the cluster registry, with their nodes')
      .option(
        '--registry <host:port>',
        'the root node that hosts the registry',
        parseRegistry,
        DEFAULT_REGISTRY,
      ),
    'error',
  ).action((options: PsOptions) => listActorsCommand(context, options))
}

/** Runs `troupe ps`. */
export async function listActorsCommand(context: CliContext, options: PsOptions): Promise<void> {
  const system = await startClientNode('ps', {
    cookieFile: options.cookieFile,
    registry: options.registry,
    logLevel: logLevelOf(options.logLevel, 'error'),
  })
  try {
    const actors = await Promise.race([listActors(system), whenAborted(context.interrupted)])
    if (actors !== undefined) for (const line of formatTable(actors)) context.print(line)
  } finally {
    await stopNode(system)
  }
}

/** The lines of `troupe ps`: a header, then one row per actor, sorted by name, in aligned columns. */
export function formatTable(actors: readonly RegisteredActor[]): string[] {
  const rows = [...actors]
    .sort((a, b) => a.name.localeCompare(b.name) || a.node.localeCompare(b.node))
    .map((actor) => [actor.name, actor.node, actor.address])
  const table = [['NAME', 'NODE', 'ADDRESS'], ...rows]
  const widths = [0, 1].map((column) => Math.max(...table.map((row) => row[column]!.length)))
  return table.map((row) => `${row[0]!.padEnd(widths[0]!)}  ${row[1]!.padEnd(widths[1]!)}  ${row[2]}`)
}
