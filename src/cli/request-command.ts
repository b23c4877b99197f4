import { Command, InvalidArgumentError } from 'commander'
import {
  type ActorSystem,
  ServiceError,
  ServicePayloadError,
  ServiceTimeoutError,
  ServiceUnavailableError,
} from '../index.ts'
import { type CliContext, whenAborted } from './cli-context.ts'
import { CommandFailedError, describeError } from './cli-errors.ts'
import { namesInOf } from './locate.ts'
import { startClientNode, stopNode } from './node.ts'
import {
  checkClientNats,
  type LogLevel,
  logLevelOf,
  natsOption,
  natsPrefixOption,
  natsSettingsOf,
  parseMilliseconds,
  withNodeOptions,
} from './options.ts'
import { messageSourceOf, readMessage } from './read-message.ts'

/** The options of `troupe request`. */
export interface RequestOptions {
  /** The NATS servers to start the short-lived node on. */
  nats: string[]
  /** The subject prefix of the NATS cluster. @default 'troupe' */
  natsPrefix?: string
  /** How long to wait for the reply, in milliseconds. */
  timeout: number
  /** The file holding the payload, `-` for standard input. */
  file?: string
  /** The file holding the cookie. */
  cookieFile?: string
  logLevel?: LogLevel
}

/** `<service>`: a NATS service name (letters, digits, `_` and `-`, the NATS services rule). */
export function parseServiceName(value: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(value))
    throw new InvalidArgumentError("expected letters, digits, '_' and '-', such as greet.")
  return value
}

/**
 * `troupe request <service> [json] --nats url[,url…] [--timeout ms] [--file path]`: calls a
 * service that a node of the NATS cluster serves (`system.service`) from a short-lived node, and
 * prints the reply as JSON; a reply of raw bytes is printed as base64. The payload is the `json`
 * argument, the contents of `--file`, standard input for a `json` of `-`, or none at all.
 */
export function requestCommand(context: CliContext): Command {
  return withNodeOptions(
    new Command('request')
      .description('call a service of the NATS cluster from a short-lived node and print the reply as JSON')
      .argument(
        '<service>',
        'the name of the service, as a node serves it with system.service',
        parseServiceName,
      )
      .argument('[json]', 'the payload, as JSON; - reads it from standard input; none: an empty payload')
      .option('--file <path>', 'read the payload (JSON) from this file; - for standard input')
      .option('--timeout <ms>', 'how long to wait for the reply', parseMilliseconds, 5000)
      .addOption(natsOption().makeOptionMandatory())
      .addOption(natsPrefixOption())
      .addHelpText(
        'after',
        `
The reply is printed as JSON on one line; a reply of raw bytes (a Uint8Array) is printed as
base64. A request nobody serves, no reply within --timeout, or an error the handler threw
(with its code) exits 1.

Examples:
  $ troupe request greet '"bob"' --nats nats://127.0.0.1:4222
  $ troupe request resize --file image.json --timeout 20000 --nats nats://127.0.0.1:4221,nats://127.0.0.1:4222
  $ produce-order | troupe request orders - --nats nats://127.0.0.1:4222 --nats-prefix shop
  $ troupe request stats --nats nats://127.0.0.1:4222`,
      ),
    'error',
  ).action((service: string, json: string | undefined, options: RequestOptions) =>
    requestService(context, service, json, options),
  )
}

/** Runs `troupe request`. */
export async function requestService(
  context: CliContext,
  service: string,
  json: string | undefined,
  options: RequestOptions,
): Promise<void> {
  checkClientNats(options)
  let payload: unknown
  if (json !== undefined || options.file !== undefined) {
    const read = await readMessage(messageSourceOf(json, options.file), { signal: context.interrupted })
    if (read === undefined) return
    payload = read.message
  }
  const system = await startClientNode('request', {
    cookieFile: options.cookieFile,
    nats: natsSettingsOf(options),
    logLevel: logLevelOf(options.logLevel, 'error'),
  })
  try {
    const work = call(system, service, payload, options, context.interrupted)
    const result = await Promise.race([work, whenAborted(context.interrupted).then(() => undefined)])
    if (result !== undefined) context.print(result)
  } finally {
    await stopNode(system)
  }
}

/** Requests and resolves with the line to print. */
async function call(
  system: ActorSystem,
  service: string,
  payload: unknown,
  options: RequestOptions,
  signal: AbortSignal,
): Promise<string | undefined> {
  let reply: unknown
  try {
    reply = await system.request(service, payload, { timeout: options.timeout, signal })
  } catch (error) {
    if (signal.aborted) return undefined
    throw failure(service, error, options)
  }
  if (reply instanceof Uint8Array) return Buffer.from(reply).toString('base64')
  return JSON.stringify(reply) ?? 'null'
}

function failure(service: string, error: unknown, options: RequestOptions): CommandFailedError {
  if (error instanceof ServiceUnavailableError) {
    // The plain "no node serves it" says where nobody serves it; a closed connection says so itself.
    const nobody = error.message === new ServiceUnavailableError(service).message
    const message = nobody
      ? `no node serves '${service}' in ${namesInOf(options)} (${error.message})`
      : describeError(error)
    return new CommandFailedError(message, { cause: error })
  }
  if (error instanceof ServiceTimeoutError)
    return new CommandFailedError(`no reply from service '${service}' within ${options.timeout} ms`, {
      cause: error,
    })
  if (error instanceof ServiceError || error instanceof ServicePayloadError)
    return new CommandFailedError(describeError(error), { cause: error })
  return new CommandFailedError(`service '${service}': ${describeError(error)}`, { cause: error })
}
