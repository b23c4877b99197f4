/**
 * The side of an IPC channel a connection writes to: a `ChildProcess` in the parent, `process` in
 * the child. Incoming messages and the end of the channel are fed to the connection by its owner.
 */
export interface IpcChannel {
  /** Sends one message; `false` when the channel's backlog is over its threshold. */
  send(message: unknown, callback: (error: Error | null) => void): boolean
  /** Closes the channel; both sides then see `disconnect`. */
  disconnect(): void
  /** The channel is open. */
  readonly connected: boolean
}
