import type { TransportOptions } from '../transport.ts'

/**
 * TLS with mutual authentication: each side shows a certificate signed by `ca` and refuses a peer
 * that does not (`requestCert` and `rejectUnauthorized` on the server, `rejectUnauthorized` on the
 * client). The cookie handshake still runs inside TLS.
 */
export interface TlsOptions {
  /** This node's private key, PEM. */
  key: string | Buffer
  /** This node's certificate, PEM, signed by `ca`. */
  cert: string | Buffer
  /** The certificate authority (or authorities) trusted to sign peers' certificates, PEM. */
  ca: string | Buffer | Array<string | Buffer>
  /**
   * For `connect`: the name the server's certificate must carry, when it is not the host connected to.
   * @default the host (an IP address is checked against the certificate's IP addresses)
   */
  servername?: string
}

/** Options of `listenTcp`. */
export interface TcpListenOptions extends TransportOptions {
  /**
   * Address to listen on. Listening beyond the loopback interface exposes the node to the network,
   * so it has to be asked for.
   * @default '127.0.0.1'
   */
  host?: string
  /**
   * Port to listen on; 0 lets the system choose one (read it from `listener.address`).
   * @default 0
   */
  port?: number
  /**
   * A Unix domain socket path to listen on instead of TCP (`host` and `port` are then ignored). The
   * file must not exist; it is removed when the listener closes.
   */
  path?: string
  /** Serve TLS with mutual authentication instead of plain TCP. */
  tls?: TlsOptions
}

/** Options of `connectTcp`. */
export interface TcpConnectOptions extends TransportOptions {
  /**
   * Host to connect to.
   * @default '127.0.0.1'
   */
  host?: string
  /** Port to connect to; required unless `path` is given. */
  port?: number
  /** A Unix domain socket path to connect to instead of TCP. */
  path?: string
  /** Connect with TLS, showing this node's certificate and checking the server's. */
  tls?: TlsOptions
  /** Aborts the attempt: `connect` rejects with the signal's reason and the socket is closed. */
  signal?: AbortSignal
}
