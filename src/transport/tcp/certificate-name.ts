import tls from 'node:tls'

/** The host of a node name `name@host:port` (without an IPv6 host's brackets), if it has one. */
function hostOf(node: string): string | undefined {
  const match = /@([^:/\s]+|\[[0-9a-fA-F:]+\]):\d{1,5}$/.exec(node)
  return match?.[1]?.replace(/^\[|\]$/g, '')
}

/**
 * Why the certificate a peer showed does not name the node it claims to be, or `undefined` when it
 * does: the subject's CN is the whole node name, or the certificate is valid for the name's host
 * (its subjectAltName, else its CN, as TLS checks a server), or for the name itself when it has no
 * host. Under mutual TLS this binds a node's name to its certificate, not to the cookie alone.
 */
export function certificateNameProblem(node: string, certificate: tls.PeerCertificate): string | undefined {
  if (certificate.subject?.CN === node) return undefined
  const host = hostOf(node) ?? node
  const mismatch = tls.checkServerIdentity(host, certificate)
  if (mismatch === undefined) return undefined
  const names = certificate.subjectaltname ?? `CN=${certificate.subject?.CN ?? '(none)'}`
  return `the client's certificate (${names}) is not for the node it claims to be, ${JSON.stringify(node)}`
}
