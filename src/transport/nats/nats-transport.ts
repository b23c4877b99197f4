import type { Msg, NatsConnection } from '@nats-io/nats-core'
import { InvalidOptionError } from '../../core/errors.ts'
import { ProtocolError } from '../../wire/errors.ts'
import { ConnectError, HandshakeError } from '../errors.ts'
import { decodeHello } from '../handshake-messages.ts'
import { LogLimiter, suppressedTail } from '../log-limiter.ts'
import { resolveTransportOptions } from '../options.ts'
import type { Connection, Transport, TransportSettings } from '../transport.ts'
import {
  connectionKey,
  decodeNatsMessage,
  encodeHandshake,
  FRAME_HEADER_BYTES,
  NatsMessageType,
  newConnectionId,
} from './nats-messages.ts'
import {
  connectNats,
  describeNatsError,
  type NatsOptions,
  natsOptionsOf,
  resolveNatsOptions,
  serversAreLoopback,
} from './nats-options.ts'
import { OfflineQueue } from './offline-queue.ts'
import { SEAL_BYTES, SubjectConnection } from './subject-connection.ts'
import { inboxSubject } from './subjects.ts'

/** The default of `NatsOptions.maxPendingMessages`. */
export const DEFAULT_MAX_PENDING_MESSAGES = 65_536

/** What a node's NATS transport is opened with: the node's settings and the NATS options. */
export interface NatsTransportSettings extends TransportSettings {
  /** The NATS servers and how to reach them (or their URLs alone). */
  nats: NatsOptions | string | readonly string[]
}

/**
 * A node's NATS transport, with its client and prefix for the parts of the node that use NATS too
 * (the cluster's names and members, services): they share the transport's connection.
 */
export interface NatsTransport extends Transport {
  readonly name: 'nats'
  /** The transport's NATS connection; the transport's `close()` drains it. */
  readonly client: NatsConnection
  /** The cluster's prefix (`NatsOptions.prefix`). */
  readonly prefix: string
}

/**
 * The NATS transport of a node: it subscribes to its inbox subject (`<prefix>.node.<name>`) and
 * finds other nodes by name, so it listens on no port. A connection is virtual: opened with a
 * request to the peer's inbox (a node nobody subscribes for fails at once with a `ConnectError`),
 * it runs the cookie handshake over NATS messages, so a client of the same server that lacks the
 * cookie cannot talk to a node, then carries frames, sealed with `frameAuth` (by default on unless
 * every server is on loopback) and numbered: a frame lost by NATS (at most once) closes the
 * connection with a `FramesLostError` that says how many. Frames are bounded by `maxFrameBytes`
 * and by the server's `max_payload`, whichever is smaller. `close()` drains the NATS client.
 *
 * @example
 * ```ts
 * const transport = await openNatsTransport({ node: 'a', incarnation, cookie, nats: 'nats://127.0.0.1:4222' })
 * transport.onConnection((connection) => remote.adopt(connection))
 * const connection = await transport.connect(undefined, 'b')
 * ```
 */
export async function openNatsTransport(settings: NatsTransportSettings): Promise<NatsTransport> {
  const options = resolveTransportOptions(settings)
  const nats = resolveNatsOptions(settings.nats)
  const maxPendingMessages = natsOptionsOf(settings.nats).maxPendingMessages ?? DEFAULT_MAX_PENDING_MESSAGES
  if (!Number.isInteger(maxPendingMessages) || maxPendingMessages < 1)
    throw new InvalidOptionError(
      'nats.maxPendingMessages',
      `expected a positive integer, got ${String(maxPendingMessages)}`,
    )
  const frameAuth = options.frameAuth ?? !serversAreLoopback(nats.servers)
  const logger = options.logger
  const nc = await connectNats(nats, logger, options.node)
  const ownSubject = inboxSubject(nats.prefix, options.node)
  const connections = new Map<string, SubjectConnection>()
  const held: Connection[] = []
  let accept: ((connection: Connection) => void) | undefined
  let closing: Promise<void> | undefined
  const refusals = new LogLimiter(options.strangers.refusalLogIntervalMs)
  let handshaking = 0

  /** What a body may be: the node's limit, and what fits in the server's `max_payload` with its header and tag. */
  const maxFrameBytes = (): number => {
    const maxPayload = nc.info?.max_payload ?? Number.POSITIVE_INFINITY
    return Math.min(options.maxFrameBytes, maxPayload - FRAME_HEADER_BYTES - (frameAuth ? SEAL_BYTES : 0))
  }
  const offline = new OfflineQueue(nc, options.maxQueuedBytes, (queued) => {
    const error = new ProtocolError(
      `${queued} bytes were sent while disconnected from NATS, over maxQueuedBytes (${options.maxQueuedBytes}): the connections to other nodes are closed until the client reconnects`,
    )
    logger.warn({ err: error, server: nc.getServer() }, error.message)
    for (const connection of [...connections.values()]) connection.close(error)
  })
  const publish = (subject: string, payload: Uint8Array): void => {
    try {
      nc.publish(subject, payload)
      offline.published(payload.length)
    } catch (error) {
      // A closed or draining client: the connections learn it from the client's close.
      logger.debug({ err: error, subject }, `cannot publish to ${subject}: ${describeNatsError(error)}`)
    }
  }
  const make = (role: 'client' | 'server', id: Buffer, peerSubject: string): SubjectConnection => {
    const key = connectionKey(id)
    const connection = new SubjectConnection(options, {
      role,
      id,
      peerSubject,
      publish,
      frameAuth,
      maxFrameBytes: maxFrameBytes(),
      maxPendingMessages,
      finished: () => {
        if (connections.get(key) === connection) connections.delete(key)
      },
    })
    connections.set(key, connection)
    return connection
  }
  const hand = (connection: Connection): void => {
    if (accept === undefined) held.push(connection)
    else accept(connection)
  }
  const refuse = (node: string, error: Error, reason: string): void => {
    const suppressed = refusals.admit(`${node} ${reason}`)
    if (suppressed === undefined) return
    logger.warn(
      { err: error, peer: node, reason },
      `refused a NATS connection from node ${node}: ${error.message}${suppressedTail(suppressed)}`,
    )
  }

  /** A peer opens a connection: its first message is its hello, in a request to answer. */
  const opened = (msg: Msg, id: Buffer, hello: Buffer): void => {
    let node: string
    try {
      node = decodeHello(hello).node
    } catch (error) {
      refuse('?', error as Error, 'malformed')
      return
    }
    if (handshaking >= options.strangers.maxHandshakes) {
      refuse(node, new Error(`${handshaking} handshakes are in progress (maxHandshakes)`), 'busy')
      return
    }
    const connection = make('server', id, inboxSubject(nats.prefix, node))
    handshaking++
    connection
      .open(() => {})
      .then(
        (open) => {
          handshaking--
          hand(open)
        },
        (error: Error) => {
          handshaking--
          refuse(node, error, error instanceof HandshakeError ? error.reason : 'failed')
        },
      )
    connection.receiveHandshake(hello, (payload) => {
      if (msg.reply !== undefined && msg.reply !== '') publish(msg.reply, payload)
    })
  }

  const subscription = nc.subscribe(ownSubject, {
    callback: (error, msg) => {
      if (error !== null) {
        logger.warn({ err: error, subject: ownSubject }, `NATS subscription ${ownSubject}: ${error.message}`)
        return
      }
      let message: ReturnType<typeof decodeNatsMessage>
      try {
        message = decodeNatsMessage(msg.data)
      } catch (thrown) {
        logger.debug(
          { err: thrown, subject: ownSubject },
          `ignored a message on ${ownSubject}: ${(thrown as Error).message}`,
        )
        return
      }
      const connection = connections.get(message.id)
      if (connection !== undefined) connection.receive(message)
      else if (message.type === NatsMessageType.Open && closing === undefined)
        opened(msg, Buffer.from(message.id, 'hex'), message.body)
    },
  })
  // The subscription must be on the server before a peer is told this node exists.
  await nc.flush()
  void nc.closed().then((error) => {
    const reason =
      error instanceof Error ? `the NATS client closed: ${error.message}` : 'the NATS client closed'
    for (const connection of [...connections.values()]) connection.clientClosed(reason)
  })

  return {
    name: 'nats',
    listening: undefined,
    client: nc,
    prefix: nats.prefix,
    onConnection(handler) {
      accept = handler
      for (const connection of held.splice(0)) handler(connection)
    },
    async connect(_endpoint, node): Promise<Connection> {
      if (closing !== undefined) throw new ConnectError(node, undefined, 'the NATS transport is closing')
      const peerSubject = inboxSubject(nats.prefix, node)
      const id = newConnectionId()
      const connection = make('client', id, peerSubject)
      const done = connection.open((first) => {
        const hello = first[0]!
        nc.request(peerSubject, encodeHandshake(NatsMessageType.Open, id, hello), {
          timeout: options.handshakeTimeoutMs,
        }).then(
          (reply) => {
            const message = decodeOrUndefined(reply.data)
            if (message?.type === NatsMessageType.Handshake) connection.receiveHandshake(message.body)
            else
              connection.rejectOpen(
                new ConnectError(peerSubject, undefined, `node ${node} answered with no handshake`),
              )
          },
          (error: unknown) =>
            connection.rejectOpen(openFailure(node, peerSubject, error, options.handshakeTimeoutMs)),
        )
      })
      try {
        return await done
      } catch (error) {
        if (error instanceof ConnectError)
          logger.warn({ err: error, peer: node, remote: peerSubject }, error.message)
        throw error
      }
    },
    close(): Promise<void> {
      closing ??= (async () => {
        for (const connection of [...connections.values()]) connection.close()
        await Promise.all([...connections.values()].map((connection) => connection.closed()))
        // A client that is disconnected drains only once it reconnects: past closeTimeoutMs it is
        // closed, what it still held dropped, so that a node shuts down while its servers are away.
        let timer: NodeJS.Timeout | undefined
        const drained = (async () => {
          await subscription.drain()
          await nc.drain()
        })()
        const late = new Promise<'late'>((resolve) => {
          timer = setTimeout(() => resolve('late'), options.closeTimeoutMs)
        })
        try {
          if ((await Promise.race([drained, late])) === 'late') await nc.close()
        } catch {
          await nc.close()
        } finally {
          clearTimeout(timer)
          drained.catch(() => undefined)
        }
      })()
      return closing
    },
  }
}

function decodeOrUndefined(data: Uint8Array): ReturnType<typeof decodeNatsMessage> | undefined {
  try {
    return decodeNatsMessage(data)
  } catch {
    return undefined
  }
}

/** Why an open request failed, as a `ConnectError`: nobody subscribes, or nobody answered. */
function openFailure(node: string, subject: string, error: unknown, timeoutMs: number): Error {
  const noResponders =
    typeof (error as { isNoResponders?: unknown })?.isNoResponders === 'function' &&
    (error as { isNoResponders(): boolean }).isNoResponders()
  if (noResponders)
    return new ConnectError(
      subject,
      'ENOTFOUND',
      `no node ${node} is on NATS (no responders on ${subject})`,
      {
        cause: error,
      },
    )
  const cause = (error as { cause?: unknown })?.cause
  const timedOut = [error, cause].some((e) => (e as { name?: unknown } | undefined)?.name === 'TimeoutError')
  if (timedOut)
    return new ConnectError(subject, 'ETIMEDOUT', `node ${node} did not answer within ${timeoutMs} ms`, {
      cause: error,
    })
  return new ConnectError(subject, undefined, describeNatsError(error), { cause: error })
}
