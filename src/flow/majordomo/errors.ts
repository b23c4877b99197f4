import { TroupeError } from '../../index.ts'

/** The root of the errors of the MajorDomo client, worker and broker. */
export class MajordomoError extends TroupeError {}

/** A request got no reply within its timeout; `service` names the service asked. */
export class MdpTimeoutError extends MajordomoError {
  constructor(
    readonly service: string,
    readonly ms: number,
  ) {
    super(`MajorDomo request to service '${service}' got no reply within ${ms} ms`)
  }
}

/**
 * The reply to a request was an error reply (`["mdp.error", code, text]`): the worker's handler
 * threw (code 500), the worker died holding the request (502), or the service's queue was full
 * (503).
 */
export class MdpServiceError extends MajordomoError {
  constructor(
    readonly service: string,
    readonly code: string,
    readonly detail: string,
  ) {
    super(`MajorDomo service '${service}' failed (${code}): ${detail}`)
  }
}

/** The client was closed while the request waited. */
export class MdpClientClosedError extends MajordomoError {
  constructor(readonly service: string) {
    super(`MajorDomo client closed before service '${service}' replied`)
  }
}
