// The control messages of the process transport, on the IPC channel. Frames (each a 4-byte length
// and a body) travel on a socket pair beside it (see `ParentHelloMessage.framesFd`), or where there
// is none as binary IPC messages of one or more frames; everything else on the channel is one of
// these objects, told apart by their `troupe` tag.

/** The child's file descriptor of the socket pair that carries the frames (after stdin, stdout, stderr and IPC). */
export const FRAMES_FD = 4

/** The child is listening on the channel: the parent may send its hello. */
export interface ReadyMessage {
  readonly troupe: 'ready'
}

/** The parent's hello: who it is, who the child is, and the data the child starts with. */
export interface ParentHelloMessage {
  readonly troupe: 'parent-hello'
  readonly node: string
  readonly incarnation: string
  readonly childNode: string
  readonly data: unknown
  readonly logLevel: string | undefined
  /** The child's file descriptor of the socket pair that carries the frames; without it, they go over IPC. */
  readonly framesFd?: number
}

/** The child's answer: its node name and incarnation. Frames may follow at once. */
export interface ChildHelloMessage {
  readonly troupe: 'child-hello'
  readonly node: string
  readonly incarnation: string
}

/** The sender closes the connection; `reason` is set when it closes because of an error. */
export interface CloseMessage {
  readonly troupe: 'close'
  readonly reason?: string
}

/** Every control message of the process transport. */
export type ControlMessage = ReadyMessage | ParentHelloMessage | ChildHelloMessage | CloseMessage

/** The tag of a control message, or `undefined` for anything else. */
export function controlTag(message: unknown): ControlMessage['troupe'] | undefined {
  if (typeof message !== 'object' || message === null || message instanceof Uint8Array) return undefined
  const tag = (message as { troupe?: unknown }).troupe
  return tag === 'ready' || tag === 'parent-hello' || tag === 'child-hello' || tag === 'close'
    ? tag
    : undefined
}
