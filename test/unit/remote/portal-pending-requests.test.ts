import { describe, expect, it } from 'vitest'
import { type PendingRequest, PendingRequests } from '../../../src/remote/portal/pending-requests.ts'

function recorder(): PendingRequest & { seen: string[] } {
  const seen: string[] = []
  return {
    seen,
    answered: (value) => seen.push(`answered ${String(value)}`),
    refused: (error, uid) => seen.push(`refused ${String(error)} ${uid}`),
    failed: (error) => seen.push(`failed ${String(error)}`),
  }
}

describe('the pending requests of a peer', () => {
  it('gives every request and every other id a fresh one', () => {
    const pending = new PendingRequests()
    const ids = [pending.add(recorder()), pending.newId(), pending.add(recorder()), pending.newId()]
    expect(new Set(ids).size).toBe(4)
  })

  it('hands an answer to its request once', () => {
    const pending = new PendingRequests()
    const ask = recorder()
    const id = pending.add(ask)
    pending.take(id)?.answered('pong')
    pending.take(id)?.answered('again')
    expect(ask.seen).toEqual(['answered pong'])
    expect(pending.has(id)).toBe(false)
  })

  it('fails everything still pending from one place, once', () => {
    const pending = new PendingRequests()
    const [ask, run, stream] = [recorder(), recorder(), recorder()]
    for (const request of [ask, run, stream]) pending.add(request)
    const answered = recorder()
    pending.take(pending.add(answered))?.answered(1)
    pending.failAll('node down')
    pending.failAll('twice')
    for (const request of [ask, run, stream]) expect(request.seen).toEqual(['failed node down'])
    expect(answered.seen).toEqual(['answered 1'])
  })
})
