/** `host:port`, with brackets around an IPv6 host: `127.0.0.1:9700`, `[::1]:9700`. */
export function formatHostPort(host: string, port: number | undefined): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`
}
