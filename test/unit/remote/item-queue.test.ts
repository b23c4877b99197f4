import { describe, expect, it } from 'vitest'
import { ItemQueue } from '../../../src/remote/portal/item-queue.ts'

describe('ItemQueue', () => {
  it('gives items back in order', () => {
    const queue = new ItemQueue<number>()
    for (let i = 0; i < 5; i++) queue.push(i)
    expect([queue.shift(), queue.shift()]).toEqual([0, 1])
    queue.push(5)
    const rest: number[] = []
    while (queue.length > 0) rest.push(queue.shift())
    expect(rest).toEqual([2, 3, 4, 5])
  })

  it('stays bounded by what is unread when the reader never quite catches up', () => {
    const queue = new ItemQueue<number>()
    let next = 0
    let expected = 0
    for (let i = 0; i < 10; i++) queue.push(next++)
    // Three arrive for every two read: a reader always behind, never emptying the queue.
    for (let round = 0; round < 100_000; round++) {
      queue.push(next++)
      queue.push(next++)
      queue.push(next++)
      expect(queue.shift()).toBe(expected++)
      expect(queue.shift()).toBe(expected++)
      while (queue.length > 64) expect(queue.shift()).toBe(expected++)
    }
    const slots = (queue as unknown as { items: unknown[] }).items.length
    expect(queue.length).toBeLessThanOrEqual(64)
    expect(slots).toBeLessThan(3 * 1024)
  })
})
