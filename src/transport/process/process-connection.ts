import type { Socket } from 'node:net'
import type { Logger } from 'pino'
import { ProtocolError } from '../../wire/errors.ts'
import { FrameDecoder } from '../../wire/frames.ts'
import { DrainSignal } from '../drain-signal.ts'
import { asError, ConnectionLostError } from '../errors.ts'
import { FrameInbox } from '../frame-inbox.ts'
import { FrameWriter } from '../frame-writer.ts'
import type { Connection, FrameHandler, PeerInfo } from '../transport.ts'
import type { IpcChannel } from './ipc-channel.ts'
import { type CloseMessage, controlTag } from './process-messages.ts'

type Phase = 'open' | 'closing' | 'closed'

/** What a {@link ProcessConnection} is made with. */
export interface ProcessConnectionOptions {
  readonly channel: IpcChannel
  /**
   * The socket pair end that carries the frames, when the parent opened one beside the IPC channel;
   * without it, frames travel as binary IPC messages.
   */
  readonly pipe?: Socket | undefined
  readonly local: PeerInfo
  readonly peer: PeerInfo
  readonly remoteAddress: string
  readonly maxFrameBytes: number
  readonly closeTimeoutMs: number
  readonly logger: Logger
}

/**
 * A {@link Connection} between a parent and a child process, made once the two hellos have passed
 * on the IPC channel. Bodies sent in one turn of the event loop are copied into one buffer of
 * length-prefixed frames, written to a socket pair the parent opened beside the IPC channel (an
 * extra stdio pipe) and split again on the other side by a {@link FrameDecoder}, which enforces
 * `maxFrameBytes`. The IPC channel keeps the hellos, the `close` message and the end of the link.
 * A frame round trip over the pipe took 15-25 us here, against 38-60 us for a Buffer sent as an
 * IPC message (`serialization: 'advanced'`, which the statespace needs) and 17-25 us for a JSON one.
 * Without a pipe (on Windows), frames travel as binary IPC messages instead.
 *
 * A clean close ends the pipe and then sends `close` on the IPC channel; the side that receives
 * it reads the pipe to its end before it finishes, so no frame sent before the close is lost.
 *
 * Its owner feeds it the channel's messages ({@link ProcessConnection.receive}) and the channel's
 * end ({@link ProcessConnection.channelClosed}).
 *
 * @internal made by `spawnProcess` and `connectParent`.
 */
export class ProcessConnection implements Connection {
  readonly local: PeerInfo
  readonly peer: PeerInfo
  readonly remoteAddress: string
  readonly maxFrameBytes: number
  private phase: Phase = 'open'
  private readonly channel: IpcChannel
  private readonly pipe: Socket | undefined
  /** The peer closed cleanly: frames still in the pipe are read, up to its end. */
  private draining = false
  private pipeEnded = false
  private readonly decoder: FrameDecoder
  private readonly writer: FrameWriter
  private readonly log: Logger
  private readonly closeTimeoutMs: number
  private readonly inbox = new FrameInbox(
    () => this.reading,
    (error) => this.abort(error, 'the frame handler threw: '),
    (held) => (held ? this.pipe?.pause() : this.pipe?.resume()),
  )
  private needDrain = false
  private readonly drain = new DrainSignal()
  private closeError: Error | undefined
  private linger: NodeJS.Timeout | undefined
  private readonly whenClosed: Promise<Error | undefined>
  private resolveClosed!: (error: Error | undefined) => void

  constructor(options: ProcessConnectionOptions) {
    this.channel = options.channel
    this.pipe = options.pipe
    this.local = options.local
    this.peer = options.peer
    this.remoteAddress = options.remoteAddress
    this.maxFrameBytes = options.maxFrameBytes
    this.log = options.logger
    this.closeTimeoutMs = options.closeTimeoutMs
    this.decoder = new FrameDecoder(options.maxFrameBytes)
    this.writer = new FrameWriter((chunk) => this.write(chunk))
    this.whenClosed = new Promise((resolve) => {
      this.resolveClosed = resolve
    })
    const pipe = this.pipe
    if (pipe !== undefined) {
      pipe.on('data', (chunk: Buffer) => this.readPipe(chunk))
      pipe.on('drain', () => {
        this.needDrain = false
        this.onDrain()
      })
      pipe.on('end', () => this.onPipeEnd())
      // A broken pipe goes with a broken IPC channel, whose end says why (the owner reports it).
      pipe.on('error', () => {})
      pipe.on('close', () => this.onPipeEnd())
    }
  }

  /** Frames may still be handed to the handler. */
  private get reading(): boolean {
    return this.phase === 'open' || this.draining
  }

  /** The connection is open, or closing cleanly: the owner's view of whether the end was expected. */
  get isOpen(): boolean {
    return this.phase === 'open'
  }

  get writableNeedDrain(): boolean {
    return this.phase === 'open' && this.needDrain
  }

  send(body: Uint8Array): void {
    if (this.phase === 'open') this.writer.write(body)
  }

  onFrame(handler: FrameHandler): void {
    this.inbox.setHandler(handler)
  }

  drained(): Promise<void> {
    return this.writableNeedDrain ? this.drain.wait() : Promise.resolve()
  }

  close(error?: Error): void {
    if (this.phase !== 'open') return
    this.phase = 'closing'
    if (error !== undefined) {
      this.closeError = error
      this.writer.discard()
      // Tell the peer why, best effort, then cut the channel: the message is not waited for.
      this.sendControl({ troupe: 'close', reason: error.message })
      this.pipe?.destroy()
      this.disconnect()
      return
    }
    this.writer.flush()
    // The close message leaves after every frame queued before it; disconnect once it is written,
    // since disconnecting a channel with writes still queued would drop them. With a pipe, the
    // frames are handed to the kernel first, so that they are in the peer's pipe before it reads
    // the close.
    const sayClose = () => this.sendControl({ troupe: 'close' }, () => this.disconnect())
    if (this.pipe === undefined || this.pipe.destroyed) sayClose()
    else this.pipe.end(sayClose)
    this.linger = setTimeout(() => this.disconnect(), this.closeTimeoutMs)
    this.linger.unref()
  }

  closed(): Promise<Error | undefined> {
    return this.whenClosed
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close()
    await this.whenClosed
  }

  /** Handles one message from the channel. */
  receive(message: unknown): void {
    if (this.phase !== 'open') return
    if (message instanceof Uint8Array && this.pipe === undefined) {
      this.readFrames(message)
      return
    }
    if (controlTag(message) === 'close') {
      const reason = (message as CloseMessage).reason
      this.phase = 'closing'
      this.writer.discard()
      this.draining = reason === undefined && this.pipe !== undefined && !this.pipeEnded
      if (reason !== undefined) {
        this.closeError = new ConnectionLostError(this.remoteAddress, {
          cause: new Error(`closed by the peer: ${reason}`),
        })
        this.log.warn({ remote: this.remoteAddress, peer: this.peer.node, reason }, this.closeError.message)
      } else {
        this.log.debug(
          { remote: this.remoteAddress, peer: this.peer.node },
          `${this.describePeer()} closed the connection`,
        )
      }
      if (!this.draining) this.disconnect()
      return
    }
    this.abort(new ProtocolError(`an IPC message that is neither frames nor a close: ${describe(message)}`))
  }

  /**
   * The channel has ended. `lost` is the error to report when the end was not a close by either
   * side (the peer died); it is ignored after a close.
   */
  channelClosed(lost: Error): void {
    if (this.phase === 'closed') return
    if (this.draining) {
      // The rest of the peer's frames are already in the pipe: read them before finishing.
      this.channelEnded = lost
      clearTimeout(this.linger)
      this.linger = setTimeout(() => this.stopDraining(), this.closeTimeoutMs)
      this.linger.unref()
      return
    }
    if (this.phase === 'open') {
      this.closeError = lost
      this.log.warn({ err: lost, remote: this.remoteAddress, peer: this.peer.node }, lost.message)
    }
    this.phase = 'closed'
    clearTimeout(this.linger)
    this.linger = undefined
    this.writer.discard()
    this.inbox.clear()
    this.pipe?.destroy()
    this.needDrain = false
    this.onDrain()
    this.resolveClosed(this.closeError)
  }

  /** Set when the IPC channel ended while the pipe was still being read. */
  private channelEnded: Error | undefined

  private onPipeEnd(): void {
    this.pipeEnded = true
    if (this.draining) this.stopDraining()
  }

  /** The peer's pipe has been read to its end (or for long enough) after its clean close. */
  private stopDraining(): void {
    if (!this.draining) return
    this.draining = false
    if (this.channelEnded !== undefined) this.channelClosed(this.channelEnded)
    else this.disconnect()
  }

  private describePeer(): string {
    return `${this.remoteAddress} (node ${this.peer.node})`
  }

  private write(chunk: Buffer): void {
    const pipe = this.pipe
    if (pipe !== undefined) {
      if (!pipe.destroyed && !pipe.write(chunk)) this.needDrain = true
      return
    }
    if (!this.channel.connected) return
    const belowThreshold = this.channel.send(chunk, (error) => {
      if (error === null && !belowThreshold && this.needDrain) {
        this.needDrain = false
        this.onDrain()
      }
    })
    if (!belowThreshold) this.needDrain = true
  }

  private sendControl(message: CloseMessage, then?: () => void): void {
    if (!this.channel.connected) {
      then?.()
      return
    }
    this.channel.send(message, () => then?.())
  }

  private disconnect(): void {
    if (this.channel.connected) this.channel.disconnect()
  }

  private readPipe(chunk: Buffer): void {
    if (!this.reading) return
    let bodies: Buffer[]
    try {
      bodies = this.decoder.push(chunk)
    } catch (thrown) {
      this.abort(asError(thrown))
      return
    }
    for (const body of bodies) {
      if (!this.reading) return
      this.inbox.receive(body)
    }
  }

  private readFrames(message: Uint8Array): void {
    let bodies: Buffer[]
    try {
      bodies = this.decoder.push(message)
      if (this.decoder.buffered > 0)
        throw new ProtocolError(
          `an IPC message ended in the middle of a frame (${this.decoder.buffered} bytes of it read)`,
        )
    } catch (thrown) {
      this.abort(asError(thrown))
      return
    }
    for (const body of bodies) {
      if (this.phase !== 'open') return
      this.inbox.receive(body)
    }
  }

  private abort(error: Error, prefix = ''): void {
    if (this.phase !== 'open' && !this.draining) return
    this.log.warn(
      { err: error, remote: this.remoteAddress, peer: this.peer.node },
      `closing connection to ${this.describePeer()}: ${prefix}${error.message}`,
    )
    if (this.phase === 'open') {
      this.close(error)
      return
    }
    // The peer had closed cleanly, and the rest of its frames failed.
    this.closeError = error
    this.pipe?.destroy()
    this.stopDraining()
  }

  private onDrain(): void {
    this.drain.release()
  }
}

function describe(message: unknown): string {
  const text = typeof message === 'object' ? JSON.stringify(message) : String(message)
  return text === undefined ? typeof message : text.length > 80 ? `${text.slice(0, 80)}...` : text
}
