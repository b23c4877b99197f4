import { MdpServiceError } from './errors.ts'
import { MDP_CLIENT, readErrorBody } from './protocol.ts'

/**
 * Reads a broker's reply to a client, `[empty, MDPC01, service, ...body]` starting at frame
 * `from` (after the tag of a multiplexed client): the body, or the error it stands for.
 */
export function readClientReply(service: string, frames: Buffer[], from: number): Buffer[] | Error {
  if (frames.length < from + 3 || frames[from]!.length !== 0 || frames[from + 1]!.toString() !== MDP_CLIENT)
    return new MdpServiceError(service, 'protocol', 'the broker sent a malformed reply')
  const replier = frames[from + 2]!.toString()
  if (replier !== service)
    return new MdpServiceError(service, 'protocol', `the reply came from service '${replier}'`)
  const body = frames.slice(from + 3)
  const error = readErrorBody(body)
  return error === undefined ? body : new MdpServiceError(service, error.code, error.text)
}
