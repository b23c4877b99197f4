import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** Whether openssl is there to make test certificates. */
export const hasOpenssl = spawnSync('openssl', ['version']).status === 0

/** A CA and certificates signed by it, made with openssl in a temporary folder. */
export function makePki(
  dir: string,
  name: string,
): { ca: string; issue(cn: string): { key: string; cert: string } } {
  const file = (base: string) => join(dir, `${name}-${base}`)
  const run = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' })
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  run(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.crt'),
    '-days',
    '1',
    '-subj',
    `/CN=${name} test CA`,
  )
  writeFileSync(
    file('ext.cnf'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n',
  )
  return {
    ca: readFileSync(file('ca.crt'), 'utf8'),
    issue(cn) {
      run('req', ...ec, '-keyout', file(`${cn}.key`), '-out', file(`${cn}.csr`), '-subj', `/CN=${cn}`)
      run(
        'x509',
        '-req',
        '-in',
        file(`${cn}.csr`),
        '-CA',
        file('ca.crt'),
        '-CAkey',
        file('ca.key'),
        '-CAcreateserial',
        '-out',
        file(`${cn}.crt`),
        '-days',
        '1',
        '-extfile',
        file('ext.cnf'),
      )
      return { key: readFileSync(file(`${cn}.key`), 'utf8'), cert: readFileSync(file(`${cn}.crt`), 'utf8') }
    },
  }
}
