import { MMI_PREFIX } from './protocol.ts'

/**
 * The broker's answer to a request to an `mmi.` service (RFC 8): `mmi.service` with a service
 * name answers `"200"` if the service has workers and `"404"` if not; any other `mmi.` request
 * answers `"501"`.
 */
export function handleMmi(name: string, body: Buffer[], hasWorkers: (service: string) => boolean): Buffer[] {
  if (name === `${MMI_PREFIX}service`) {
    const asked = body[0]?.toString()
    return [Buffer.from(asked !== undefined && hasWorkers(asked) ? '200' : '404')]
  }
  return [Buffer.from('501')]
}
