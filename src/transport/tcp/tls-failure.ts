import { describeSystemError } from '../errors.ts'

/**
 * Whether a socket error is a TLS failure (a certificate missing, untrusted or for another host, a
 * TLS alert) and, if so, which side refused: an alert comes from the peer, anything else is this
 * side's own check.
 */
export function tlsFailure(error: unknown): { refusedBy: 'local' | 'peer' } | undefined {
  const { code } = describeSystemError(error)
  if (code === undefined) return undefined
  if (code.startsWith('ERR_SSL_')) return { refusedBy: code.includes('ALERT') ? 'peer' : 'local' }
  if (
    code.startsWith('ERR_TLS_') ||
    code.includes('CERT') ||
    code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' ||
    code === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'
  )
    return { refusedBy: 'local' }
  return undefined
}
