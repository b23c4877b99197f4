import type { Socket } from 'node:net'
import { ProtocolError } from '../../wire/errors.ts'
import { FrameDecoder } from '../../wire/frames.ts'
import { asError, ConnectionLostError } from '../errors.ts'
import { FrameWriter } from '../frame-writer.ts'
import { FramedConnection, type FramedConnectionOptions } from '../framed-connection.ts'
import type { PeerInfo } from '../transport.ts'
import type { IpcChannel } from './ipc-channel.ts'
import { type CloseMessage, controlTag } from './process-messages.ts'

/** What a {@link ProcessConnection} is made with. */
export interface ProcessConnectionOptions extends FramedConnectionOptions {
  readonly channel: IpcChannel
  /**
   * The socket pair end that carries the frames, when the parent opened one beside the IPC channel;
   * without it, frames travel as binary IPC messages.
   */
  readonly pipe?: Socket | undefined
  readonly peer: PeerInfo
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
export class ProcessConnection extends FramedConnection {
  private readonly channel: IpcChannel
  private readonly pipe: Socket | undefined
  /** The peer closed cleanly: frames still in the pipe are read, up to its end. */
  private draining = false
  private pipeEnded = false
  private readonly decoder: FrameDecoder
  protected readonly outbox: FrameWriter
  private needDrain = false

  constructor(options: ProcessConnectionOptions) {
    super(options, 'open')
    this.channel = options.channel
    this.pipe = options.pipe
    this.decoder = new FrameDecoder(options.maxFrameBytes)
    this.outbox = new FrameWriter((chunk) => this.write(chunk))
    const pipe = this.pipe
    if (pipe !== undefined) {
      pipe.on('data', (chunk: Buffer) => this.readPipe(chunk))
      pipe.on('drain', () => {
        this.needDrain = false
        this.drain.release()
      })
      pipe.on('end', () => this.onPipeEnd())
      // A broken pipe goes with a broken IPC channel, whose end says why (the owner reports it).
      pipe.on('error', () => {})
      pipe.on('close', () => this.onPipeEnd())
    }
  }

  protected override get reading(): boolean {
    return this.phase === 'open' || this.draining
  }

  protected override holdReading(held: boolean): void {
    if (held) this.pipe?.pause()
    else this.pipe?.resume()
  }

  /** The connection is open, or closing cleanly: the owner's view of whether the end was expected. */
  get isOpen(): boolean {
    return this.phase === 'open'
  }

  override get writableNeedDrain(): boolean {
    return this.phase === 'open' && this.needDrain
  }

  protected cut(error: Error): void {
    // Tell the peer why, best effort, then cut the channel: the message is not waited for.
    this.sendControl({ troupe: 'close', reason: error.message })
    this.pipe?.destroy()
    this.disconnect()
  }

  protected endCleanly(): void {
    // The close message leaves after every frame queued before it; disconnect once it is written,
    // since disconnecting a channel with writes still queued would drop them. With a pipe, the
    // frames are handed to the kernel first, so that they are in the peer's pipe before it reads
    // the close.
    const sayClose = () => this.sendControl({ troupe: 'close' }, () => this.disconnect())
    if (this.pipe === undefined || this.pipe.destroyed) sayClose()
    else this.pipe.end(sayClose)
    this.linger(() => this.disconnect())
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
      if (reason === undefined) this.peerEndedCleanly()
      this.phase = 'closing'
      this.outbox.discard()
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
      this.linger(() => this.stopDraining())
      return
    }
    if (this.phase === 'open') {
      this.closeError = lost
      this.log.warn({ err: lost, remote: this.remoteAddress, peer: this.peer.node }, lost.message)
    }
    this.pipe?.destroy()
    this.needDrain = false
    this.finish()
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
    this.peerEndedCleanly()
    this.draining = false
    if (this.channelEnded !== undefined) this.channelClosed(this.channelEnded)
    else this.disconnect()
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
        this.drain.release()
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
    this.deliver(bodies)
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
    this.deliver(bodies)
  }

  protected override abort(error: Error, prefix = ''): void {
    if (this.phase === 'open') {
      super.abort(error, prefix)
      return
    }
    if (!this.draining) return
    this.log.warn(
      { err: error, remote: this.remoteAddress, peer: this.peer.node },
      `closing connection to ${this.describePeer()}: ${prefix}${error.message}`,
    )
    // The peer had closed cleanly, and the rest of its frames failed.
    this.closeError = error
    this.pipe?.destroy()
    this.stopDraining()
  }
}

function describe(message: unknown): string {
  const text = typeof message === 'object' ? JSON.stringify(message) : String(message)
  return text === undefined ? typeof message : text.length > 80 ? `${text.slice(0, 80)}...` : text
}
