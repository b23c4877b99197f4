/**
 * `work`'s value, or `undefined` when it has not settled within `ms`; its rejection passes through.
 * A plain timer, not `moveOnAfter`: the first cancel scope of a process switches on async context
 * tracking, which every later promise of the process pays (a third of the gateway's throughput),
 * and a click on the dashboard must not cost that. The work is not cancelled; what it does later
 * (a kill that completes, a snapshot that comes late) is ignored, its rejection included.
 */
export function settleWithin<T>(ms: number, work: Promise<T>): Promise<{ value: T } | undefined> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), ms)
    work.then(
      (value) => {
        clearTimeout(timer)
        resolve({ value })
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}
