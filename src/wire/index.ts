export type { Codec, CodecOptions } from './codec.ts'
export {
  createCodec,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_STRUCTURES,
  MAX_DEPTH_LIMIT,
  MAX_STRUCTURES_LIMIT,
} from './codec.ts'
export type {
  ConnectionCodec,
  ConnectionCodecOptions,
  ConnectionDecoder,
  ConnectionEncoder,
} from './connection-codec.ts'
export { createConnectionCodec } from './connection-codec.ts'
export type {
  AskEnvelope,
  Envelope,
  EnvelopeKind,
  ErrorEnvelope,
  ExitEnvelope,
  HeartbeatEnvelope,
  LinkEnvelope,
  ReplyEnvelope,
  SnapshotEnvelope,
  SpawnEnvelope,
  SpawnedEnvelope,
  StopEnvelope,
  TellEnvelope,
  TerminatedEnvelope,
  WatchEnvelope,
  WireStopReason,
} from './envelope.ts'
export { PROTOCOL_VERSION } from './envelope.ts'
export { EncodeError, FrameTooLargeError, MessageTooLargeError, ProtocolError } from './errors.ts'
export { ExtensionType } from './extension-types.ts'
export {
  DEFAULT_MAX_FRAME_BYTES,
  encodeFrame,
  FRAME_HEADER_BYTES,
  FrameDecoder,
  frameHeader,
} from './frames.ts'
export type { ErrorClass } from './wire-error.ts'
