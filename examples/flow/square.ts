/** The functions of the graph in `http.yaml`, which a file cannot hold: named there as `./square.ts#square`. */

/** Squares the `n` of a request's JSON body. */
export function square(body: { n?: unknown } | undefined): { squared: number } {
  const n = Number(body?.n)
  if (!Number.isFinite(n))
    throw Object.assign(new Error('expected a body { "n": <number> }'), { status: 400 })
  return { squared: n * n }
}
