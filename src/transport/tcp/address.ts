/** `host:port`, with brackets around an IPv6 host: `127.0.0.1:9700`, `[::1]:9700`. */
export function formatHostPort(host: string, port: number | undefined): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`
}

/**
 * Whether `host` is this machine's loopback: `localhost`, 127.0.0.0/8, `::1`, or 127.0.0.0/8
 * mapped into IPv6 (`::ffff:127.0.0.1`, what a dual-stack socket reports).
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  const lower = bare.toLowerCase()
  if (lower === 'localhost' || lower === '::1' || lower === '0:0:0:0:0:0:0:1') return true
  const v4 = lower.startsWith('::ffff:') ? lower.slice('::ffff:'.length) : lower
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4)
}
