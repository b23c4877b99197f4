import { TroupeError } from '../concurrency/errors.ts'
import { ProtocolError } from '../wire/errors.ts'

/** Why a handshake failed; {@link HandshakeError.reason}. */
export type HandshakeFailure =
  /** The peer speaks another protocol version. */
  | 'version-mismatch'
  /** The peer's proof does not match the cookie: the two nodes were given different cookies. */
  | 'cookie-mismatch'
  /** The peer sent bytes that are not a Troupe handshake (wrong magic, bad lengths, bad UTF-8). */
  | 'malformed'
  /** The handshake did not complete within `handshakeTimeoutMs`. */
  | 'timeout'
  /** The connection closed or broke before the handshake completed. */
  | 'closed'
  /** The TLS handshake failed: a certificate was missing, not trusted, or not for this host. */
  | 'tls'
  /** One node seals the frames after the handshake (`frameAuth`) and the other does not. */
  | 'frame-auth-mismatch'

const failureText: Record<HandshakeFailure, string> = {
  'version-mismatch': 'protocol version mismatch',
  'cookie-mismatch': 'cookie mismatch',
  malformed: 'malformed handshake',
  timeout: 'handshake timed out',
  closed: 'connection closed during the handshake',
  tls: 'TLS handshake failed',
  'frame-auth-mismatch': 'frame authentication mismatch',
}

/** Which side of a connection noticed a failed handshake and refused it. */
export type HandshakeRefuser = 'local' | 'peer'

/**
 * Two nodes could not authenticate each other, so nothing passed between them. Something outside
 * this node caused it: a peer with another cookie or protocol version, a peer that does not speak
 * Troupe, or one that did not answer in time. `reason` says why and `refusedBy` which side noticed;
 * the connection is closed and `connect` rejects with this error.
 */
export class HandshakeError extends ProtocolError {
  /** Why the handshake failed. */
  readonly reason: HandshakeFailure
  /** `'local'`: this node refused the peer; `'peer'`: the peer refused this node and said why. */
  readonly refusedBy: HandshakeRefuser
  /** The peer's address (`host:port`, a socket path), when known. */
  readonly remote: string | undefined
  /** Why, without the address: `cookie mismatch (refused by the peer): ...`. */
  readonly detail: string

  constructor(
    reason: HandshakeFailure,
    refusedBy: HandshakeRefuser,
    detail: string,
    options: { remote?: string; cause?: unknown } = {},
  ) {
    const why = `${failureText[reason]}${refusedBy === 'peer' ? ' (refused by the peer)' : ''}${detail ? `: ${detail}` : ''}`
    super(
      options.remote === undefined
        ? `handshake failed: ${why}`
        : `handshake with ${options.remote} failed: ${why}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    )
    this.reason = reason
    this.refusedBy = refusedBy
    this.remote = options.remote
    this.detail = why
  }
}

/**
 * No connection could be opened to the address: nothing listens there (`ECONNREFUSED`), it cannot
 * be reached, or it did not answer within the time limit. The cause is outside this node; `code`
 * is the system error code when there is one, and `cause` the original error.
 */
export class ConnectError extends TroupeError {
  constructor(
    /** The address that could not be reached: `host:port` or a socket path. */
    readonly address: string,
    /** The system error code (`ECONNREFUSED`, `ENOENT`, `ETIMEDOUT` ...), if any. */
    readonly code: string | undefined,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`cannot connect to ${address}: ${detail}`, options)
  }
}

/** A listener could not be opened (address in use, permission denied ...); `cause` has the system error. */
export class ListenError extends TroupeError {
  constructor(
    /** The address that could not be listened on. */
    readonly address: string,
    /** The system error code (`EADDRINUSE`, `EACCES` ...), if any. */
    readonly code: string | undefined,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`cannot listen on ${address}: ${detail}`, options)
  }
}

/**
 * An established connection broke under it (reset by the peer, a broken pipe, a TLS failure): the
 * cause is outside this node, in `cause`. A connection closed by either side on purpose closes
 * cleanly instead, and its `closed()` resolves with `undefined`.
 */
export class ConnectionLostError extends TroupeError {
  constructor(
    /** The peer's address (`host:port` or a socket path). */
    readonly remote: string,
    options?: ErrorOptions,
  ) {
    const cause = options?.cause
    super(`connection to ${remote} lost${cause instanceof Error ? `: ${cause.message}` : ''}`, options)
  }
}

/** Describes a system error (`ECONNREFUSED`) for a message: `connection refused (ECONNREFUSED)`. */
export function describeSystemError(error: unknown): { code: string | undefined; text: string } {
  const code =
    typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
      ? (error as { code: string }).code
      : undefined
  const known: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset by the peer',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ETIMEDOUT: 'timed out',
    ENOENT: 'no such socket file',
    EADDRINUSE: 'address already in use',
    EACCES: 'permission denied',
    EADDRNOTAVAIL: 'address not available on this host',
    ENOTFOUND: 'host name not found',
    EPIPE: 'broken pipe',
  }
  const message = error instanceof Error ? error.message : String(error)
  const text = code !== undefined && known[code] !== undefined ? `${known[code]} (${code})` : message
  return { code, text }
}

/** A thrown value as an Error (JavaScript lets code throw anything). */
export function asError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown), { cause: thrown })
}
