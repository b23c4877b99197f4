/** The loopback names a gateway always answers to, with its port. */
const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]']

/** `host:port`, with an IPv6 address in brackets, lower case: as a `Host` header names it. */
export function hostPort(host: string, port: number): string {
  const name = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
  return `${name}:${port}`.toLowerCase()
}

/**
 * The `Host` headers the gateway answers (against DNS rebinding, a page of another site that
 * resolves its own name to 127.0.0.1): the loopback names with the port, the host it listens
 * on, and `extra` (`allowedHosts`).
 */
export function allowedHostsOf(host: string, port: number, extra: readonly string[]): Set<string> {
  const hosts = new Set(LOOPBACK.map((name) => hostPort(name, port)))
  if (host !== '0.0.0.0' && host !== '::') hosts.add(hostPort(host, port))
  for (const name of extra) hosts.add(name.toLowerCase())
  return hosts
}

/** The origins of the gateway's own pages: `http://` and each allowed host. */
export function ownOriginsOf(hosts: ReadonlySet<string>): Set<string> {
  return new Set([...hosts].map((host) => `http://${host}`))
}

/** The methods that change something, whose `Origin` must be one the gateway allows. */
export const MUTATING_METHODS: ReadonlySet<string> = new Set(['PUT', 'POST', 'DELETE', 'PATCH'])
