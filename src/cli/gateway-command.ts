import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Command, InvalidArgumentError } from 'commander'
import type { ExposedType, Gateway } from '../gateway/index.ts'
import { type AnyBehavior, InvalidOptionError } from '../index.ts'
import { type CliContext, whenAborted } from './cli-context.ts'
import { CommandFailedError, describeError, UsageError } from './cli-errors.ts'
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

/** The port `troupe gateway` listens on unless `--port` says. */
export const DEFAULT_GATEWAY_PORT = 8080

/** The options of `troupe gateway`. */
export interface GatewayCommandOptions {
  /** This node, `name@host:port` (any name with `nats`); without it, a node of its own named `gateway`. */
  node?: string
  nats?: string[]
  natsPrefix?: string
  registry?: string
  port: number
  host?: string
  tokenFile?: string
  /** Modules whose `exposeTypes` calls list the actor types the gateway may spawn. */
  load?: string[]
  cookieFile?: string
  logLevel?: LogLevel
}

function parsePort(value: string): number {
  const port = Number(value)
  if (!/^\d{1,5}$/.test(value) || port > 65535)
    throw new InvalidArgumentError('expected a port number from 0 to 65535.')
  return port
}

function parseHost(value: string): string {
  if (value.length === 0 || /[\s/@]/.test(value))
    throw new InvalidArgumentError('expected an address or host name, such as 127.0.0.1.')
  return value
}

/**
 * `troupe gateway [--node …] [--registry host:port | --nats url] [--load types.ts]`: runs a node
 * that serves the cluster's actors over HTTP (the REST gateway of `troupe/gateway`), prints the
 * dashboard's URL with the token once, and runs until SIGINT or SIGTERM.
 */
export function gatewayCommand(context: CliContext): Command {
  return withNodeOptions(
    new Command('gateway')
      .description(
        "serve the cluster's actors over HTTP (REST, with a bearer token), until SIGINT or SIGTERM",
      )
      .option(
        '--node <name@host:port>',
        "this node's name, and where it listens (with --nats any name)",
        parseAnyNodeName,
      )
      .addOption(joinRegistryOption())
      .addOption(nodeNatsOption())
      .addOption(natsPrefixOption())
      .option(
        '--port <port>',
        `the HTTP port (default: ${DEFAULT_GATEWAY_PORT}; 0 picks a free one)`,
        parsePort,
        DEFAULT_GATEWAY_PORT,
      )
      .option(
        '--host <address>',
        'the address to listen on (default: 127.0.0.1, this machine only)',
        parseHost,
      )
      .option('--token-file <file>', 'read the token from this file, or create it (mode 0600) with a new one')
      .option(
        '--load <module>',
        'a module whose exposeTypes lists actor types the gateway may spawn (repeatable)',
        (value: string, previous: string[] = []) => [...previous, value],
      )
      .addHelpText(
        'after',
        `
Examples:
  $ troupe gateway --node gw@127.0.0.1:9810 --registry 127.0.0.1:1616 --load types.ts
  $ troupe gateway --nats nats://127.0.0.1:4222 --port 8080 --token-file ~/.troupe-gateway-token`,
      ),
    'warn',
  ).action((options: GatewayCommandOptions) => runGateway(context, options))
}

/** Runs `troupe gateway`; resolves once a signal stopped it. */
export async function runGateway(context: CliContext, options: GatewayCommandOptions): Promise<void> {
  checkClientNats(options)
  if (options.node !== undefined) checkNodeForNats(options.node, options.nats, options.natsPrefix)
  if (options.registry !== undefined && options.node === undefined)
    throw new UsageError(
      '--registry needs --node name@host:port: the registry reaches its members where their names say',
    )
  // Loaded here, not with the program: every other command starts without the gateway's modules.
  const { startGateway, typesExposedBy } = await import('../gateway/index.ts')
  const types: Record<string, ExposedType | AnyBehavior> = {}
  for (const module of options.load ?? []) Object.assign(types, await load(module, typesExposedBy))
  const nats = natsSettingsOf(options)
  const system = await startNode({
    node: options.node ?? (nats === undefined ? 'gateway' : undefined),
    logLevel: logLevelOf(options.logLevel, 'warn'),
    cookieFile: options.cookieFile,
    registry: options.registry,
    ...(nats === undefined ? {} : { nats }),
  })
  try {
    let gateway: Gateway
    try {
      gateway = await startGateway(system, {
        port: options.port,
        ...(options.host === undefined ? {} : { host: options.host }),
        ...(options.tokenFile === undefined ? {} : { tokenFile: resolve(options.tokenFile) }),
        types,
        announce: () => {},
      })
    } catch (error) {
      if (error instanceof InvalidOptionError) throw new UsageError(describeError(error), { cause: error })
      throw new CommandFailedError(`cannot start the gateway: ${describeError(error)}`, { cause: error })
    }
    try {
      const spawnable = Object.keys(types)
      context.print(`${system.node}: gateway at ${gateway.dashboardUrl}`)
      context.print(
        `spawnable types: ${spawnable.length === 0 ? 'none (give --load a module that calls exposeTypes)' : spawnable.join(', ')}; SIGINT or SIGTERM stops it`,
      )
      await whenAborted(context.interrupted)
    } finally {
      await gateway.close()
    }
  } finally {
    await stopNode(system)
  }
}

/** Imports `module` and returns the types it exposed with `exposeTypes`. */
async function load(
  module: string,
  typesExposedBy: (moduleUrl: string) => Readonly<Record<string, ExposedType | AnyBehavior>>,
): Promise<Readonly<Record<string, ExposedType | AnyBehavior>>> {
  const file = resolve(module)
  if (!existsSync(file)) throw new UsageError(`--load: no module at ${file}`)
  const url = pathToFileURL(file).href
  try {
    await import(url)
  } catch (error) {
    throw new CommandFailedError(`cannot load ${module}: ${describeLoadError(error)}`, { cause: error })
  }
  const types = typesExposedBy(url)
  if (Object.keys(types).length === 0)
    throw new UsageError(
      `--load: ${module} exposes no actor types: call exposeTypes(import.meta.url, { … }) in it`,
    )
  return types
}
