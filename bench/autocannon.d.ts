/** The part of autocannon 8's programmatic API the flow-http figure uses (the package has no types). */
declare module 'autocannon' {
  interface Options {
    url: string
    method?: string
    headers?: Record<string, string>
    body?: string
    connections?: number
    pipelining?: number
    /** Seconds. */
    duration?: number
  }
  interface Histogram {
    average: number
    p50: number
    p99: number
    max: number
    total: number
  }
  interface Result {
    /** Seconds. */
    duration: number
    errors: number
    timeouts: number
    non2xx: number
    requests: Histogram
    /** Milliseconds. */
    latency: Histogram
  }
  function autocannon(options: Options): Promise<Result>
  export default autocannon
}
