import { Command } from 'commander'
import { ActorStoppedError, type ActorSystem, AskTimeoutError, NodeDownError, type Ref } from '../index.ts'
import { parseAddress } from '../internal.ts'
import { type CliContext, whenAborted } from './cli-context.ts'
import { CommandFailedError, describeError } from './cli-errors.ts'
import { checkLocator, locate, namesInOf } from './locate.ts'
import { startClientNode, stopNode } from './node.ts'
import {
  type ActorLocator,
  checkClientNats,
  type LogLevel,
  logLevelOf,
  natsOption,
  natsPrefixOption,
  natsSettingsOf,
  parseLocator,
  parseMilliseconds,
  parseRegistry,
  withNodeOptions,
} from './options.ts'
import { messageSourceOf, readMessage } from './read-message.ts'

/** The options of `troupe send`. */
export interface SendOptions {
  /** Wait for the reply and print it as JSON. */
  ask?: boolean
  /** How long to wait for the node and the reply, in milliseconds. */
  timeout: number
  /** The cluster registry to find names in, `host:port`. */
  registry?: string
  /** The NATS servers to start the node on: names are then found in the NATS cluster. */
  nats?: string[]
  /** The subject prefix of the NATS cluster. @default 'troupe' */
  natsPrefix?: string
  /** The file holding the message, `-` for standard input. */
  file?: string
  /** The file holding the cookie. */
  cookieFile?: string
  logLevel?: LogLevel
}

/**
 * `troupe send <address|name> [json] [--file path] [--ask]`: sends one message from a short-lived
 * node and, with `--ask`, prints the reply as JSON. The message is the `json` argument, the
 * contents of `--file`, or standard input for a `json` of `-`. Names are found in the cluster
 * registry of `--registry`, or in the NATS cluster of `--nats` (the node then runs on NATS).
 */
export function sendCommand(context: CliContext): Command {
  return withNodeOptions(
    new Command('send')
      .description(
        'send a JSON message to an actor from a short-lived node; with --ask, print the reply as JSON',
      )
      .argument(
        '<target>',
        'a troupe://<node>/<path> address, or an actor name with --registry or --nats',
        parseLocator,
      )
      .argument('[json]', 'the message, as JSON; - reads it from standard input')
      .option('--file <path>', 'read the message (JSON) from this file; - for standard input')
      .option('--ask', 'wait for the reply and print it as JSON')
      .option('--timeout <ms>', 'how long to wait for the node and the reply', parseMilliseconds, 5000)
      .option(
        '--registry <host:port>',
        'look names up in the cluster registry of the root node listening there',
        parseRegistry,
      )
      .addOption(natsOption())
      .addOption(natsPrefixOption())
      .addHelpText(
        'after',
        `
Examples:
  $ troupe send troupe://pong@127.0.0.1:9701/user/pong '{"type":"ping","n":1}' --ask
  $ troupe send pong '{"type":"ping","n":1}' --ask --registry 127.0.0.1:1616
  $ troupe send pong --file order.json --registry 127.0.0.1:1616
  $ produce-order | troupe send pong - --registry 127.0.0.1:1616
  $ troupe send pong '{"type":"ping","n":1}' --ask --nats nats://127.0.0.1:4222
  $ troupe send troupe://pong/user/pong '{"type":"ping","n":1}' --ask --nats nats://127.0.0.1:4222`,
      ),
    'error',
  ).action((target: ActorLocator, json: string | undefined, options: SendOptions) =>
    sendMessage(context, target, json, options),
  )
}

/** Runs `troupe send`. */
export async function sendMessage(
  context: CliContext,
  target: ActorLocator,
  json: string | undefined,
  options: SendOptions,
): Promise<void> {
  checkClientNats(options)
  checkLocator(target, namesInOf(options), 'target')
  const read = await readMessage(messageSourceOf(json, options.file), { signal: context.interrupted })
  if (read === undefined) return
  const { message } = read
  const system = await startClientNode('send', {
    cookieFile: options.cookieFile,
    registry: options.registry,
    nats: natsSettingsOf(options),
    logLevel: logLevelOf(options.logLevel, 'error'),
  })
  try {
    const work = deliver(system, target, message, options)
    const result = await Promise.race([work, whenAborted(context.interrupted).then(() => undefined)])
    if (result !== undefined) context.print(result)
  } finally {
    await stopNode(system)
  }
}

/** Sends (or asks) and resolves with the line to print. */
async function deliver(
  system: ActorSystem,
  target: ActorLocator,
  message: unknown,
  options: SendOptions,
): Promise<string> {
  const ref = await locate(system, target, {
    namesIn: namesInOf(options),
    wait: false,
    timeoutMs: options.timeout,
    what: 'target',
  })
  if (options.ask === true) {
    try {
      const reply = await ref.ask(message, { timeout: options.timeout })
      return JSON.stringify(reply) ?? 'null'
    } catch (error) {
      throw failure(ref, error, options.timeout)
    }
  }
  ref.tell(message)
  await confirmDelivery(system, ref, options.timeout)
  return `sent to ${ref.address}`
}

/**
 * A tell reports nothing, so that a one-shot `send` does not exit 0 for a message that went
 * nowhere, it watches the target and asks a path that has no actor on the same node: messages
 * between two nodes arrive in order, so the probe's answer (or `NodeDownError`) comes after the
 * message and the watch have reached the node, and a missing target has answered by then.
 */
async function confirmDelivery(system: ActorSystem, ref: Ref, timeoutMs: number): Promise<void> {
  let gone = false
  void system.watch(ref).then(() => {
    gone = true
  })
  const { node } = parseAddress(ref.address)
  if (node === system.node) return
  const probe = system.refOf(`troupe://${node}/user/$troupe-send-probe-${process.pid}`)
  try {
    await probe.ask(null, { timeout: timeoutMs })
  } catch (error) {
    if (!(error instanceof Error && error.name === ActorStoppedError.name))
      throw failure(ref, error, timeoutMs)
  }
  if (gone) throw new CommandFailedError(`no actor at ${ref.address}: the message went to its dead letters`)
}

function failure(ref: Ref, error: unknown, timeoutMs: number): CommandFailedError {
  if (error instanceof NodeDownError) return new CommandFailedError(describeError(error), { cause: error })
  if (error instanceof AskTimeoutError)
    return new CommandFailedError(`no reply from ${ref.address} within ${timeoutMs} ms`, { cause: error })
  if (error instanceof Error && error.name === ActorStoppedError.name)
    return new CommandFailedError(`no actor at ${ref.address}`, { cause: error })
  return new CommandFailedError(`${ref.address} answered with an error: ${describeError(error)}`, {
    cause: error,
  })
}
