import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { nkeys } from '@nats-io/nats-core'

/**
 * NATS operator mode for tests, without the `nsc` tool: an operator, a system account, an
 * account and a user, each an nkey, with their JWTs (NATS JWT v2) signed here. `write(dir)` puts
 * the server's config and the user's `.creds` file in `dir`; start the server with
 * `startNatsServer({ args: ['-c', config] })`.
 */

/** What {@link makeOperator} made, and the files it writes. */
export interface NatsOperator {
  /** The account's public key (an `A…` nkey). */
  readonly account: string
  /** The contents of the user's credentials file: its JWT and its nkey seed. */
  readonly creds: string
  /**
   * Writes `operator.conf` (operator JWT, memory resolver with both accounts preloaded, the
   * system account) and `user.creds` into `dir`; returns their paths.
   */
  write(dir: string): { config: string; creds: string }
}

type KeyPair = ReturnType<typeof nkeys.createUser>

const base64url = (data: string | Uint8Array) => Buffer.from(data).toString('base64url')

/** A JWT of `claims` about `subject`, signed by `issuer` (ed25519, the nkey's own signature). */
function sign(issuer: KeyPair, subject: string, name: string, nats: Record<string, unknown>): string {
  const header = base64url(JSON.stringify({ typ: 'JWT', alg: 'ed25519-nkey' }))
  const claims = base64url(
    JSON.stringify({
      // The server takes any unique id; `nsc` uses a hash of the claims.
      jti: randomUUID(),
      iat: Math.floor(Date.now() / 1000),
      iss: issuer.getPublicKey(),
      sub: subject,
      name,
      nats: { ...nats, version: 2 },
    }),
  )
  const signature = base64url(issuer.sign(Buffer.from(`${header}.${claims}`)))
  return `${header}.${claims}.${signature}`
}

/** No limit on anything; `jetstream` adds unlimited JetStream storage (which enables it). */
function accountLimits(jetstream: boolean): Record<string, unknown> {
  const limits = {
    subs: -1,
    data: -1,
    payload: -1,
    imports: -1,
    exports: -1,
    wildcards: true,
    conn: -1,
    leaf: -1,
  }
  const storage = { mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 }
  return jetstream ? { ...limits, ...storage } : limits
}

/** Makes an operator with one account (JetStream enabled unless `jetstream` is false) and one user. */
export function makeOperator(options: { jetstream?: boolean } = {}): NatsOperator {
  const operator = nkeys.createOperator()
  const system = nkeys.createAccount()
  const account = nkeys.createAccount()
  const user = nkeys.createUser()
  const operatorJwt = sign(operator, operator.getPublicKey(), 'test-operator', {
    type: 'operator',
    system_account: system.getPublicKey(),
  })
  const systemJwt = sign(operator, system.getPublicKey(), 'SYS', {
    type: 'account',
    limits: accountLimits(false),
  })
  const accountJwt = sign(operator, account.getPublicKey(), 'test-account', {
    type: 'account',
    limits: accountLimits(options.jetstream !== false),
  })
  const userJwt = sign(account, user.getPublicKey(), 'test-user', {
    type: 'user',
    pub: {},
    sub: {},
    subs: -1,
    data: -1,
    payload: -1,
  })
  const creds = [
    '-----BEGIN NATS USER JWT-----',
    userJwt,
    '------END NATS USER JWT------',
    '',
    '-----BEGIN USER NKEY SEED-----',
    new TextDecoder().decode(user.getSeed()),
    '------END USER NKEY SEED------',
    '',
  ].join('\n')
  const config = [
    `operator: ${operatorJwt}`,
    `system_account: ${system.getPublicKey()}`,
    'resolver: MEMORY',
    'resolver_preload: {',
    `  ${system.getPublicKey()}: ${systemJwt}`,
    `  ${account.getPublicKey()}: ${accountJwt}`,
    '}',
    '',
  ].join('\n')
  return {
    account: account.getPublicKey(),
    creds,
    write(dir) {
      const paths = { config: join(dir, 'operator.conf'), creds: join(dir, 'user.creds') }
      writeFileSync(paths.config, config)
      writeFileSync(paths.creds, creds, { mode: 0o600 })
      return paths
    },
  }
}
