export { TsxNotFoundError } from '../transport/tsx-location.ts'
export { EncodeError, MessageTooLargeError } from '../wire/errors.ts'
export { isChildNode, StartInChildNodeError } from './children/child-module-loading.ts'
export type { ChildExit, ChildNode, ChildNodeOptions } from './children/child-node.ts'
export { childData, startChildNode } from './children/child-node.ts'
export type { ChildPool, ChildPoolOptions } from './children/child-pool.ts'
export { createChildPool } from './children/child-pool.ts'
export type { ActorAddress, NodeEndpoint } from './node/address.ts'
export { endpointOf, parseAddress } from './node/address.ts'
export { COOKIE_FILE, readCookieFile } from './node/cookie.ts'
export {
  ContextClosedError,
  ContextMisuseError,
  NodeDownError,
  RemoteSpawnError,
  UntrustedRequestError,
} from './node/errors.ts'
export type { LivenessOptions } from './node/remote-node.ts'
export type { UntrustedSettings } from './node/trust.ts'
export type { CurrentActor } from './portal/current-actor.ts'
export { currentActor, findActor, waitForActor } from './portal/current-actor.ts'
export type { Exposed } from './portal/exposed-functions.ts'
export { currentCallSignal, expose } from './portal/exposed-functions.ts'
export type { PortalOptions } from './portal/portal.ts'
export { Portal, portalOf } from './portal/portal.ts'
export { NotExposedError, RemoteActorError } from './portal/remote-actor-error.ts'
