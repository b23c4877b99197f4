import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { DeadlineTimer } from '../../../src/flow/deadline-timer.ts'

describe('DeadlineTimer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('runs each callback once its delay has passed, in the order they were set', () => {
    const timer = new DeadlineTimer(100)
    const fired: string[] = []
    timer.start(() => fired.push('a'))
    vi.advanceTimersByTime(40)
    timer.start(() => fired.push('b'))
    vi.advanceTimersByTime(59)
    expect(fired).toEqual([])
    vi.advanceTimersByTime(1)
    expect(fired).toEqual(['a'])
    vi.advanceTimersByTime(39)
    expect(fired).toEqual(['a'])
    vi.advanceTimersByTime(1)
    expect(fired).toEqual(['a', 'b'])
    expect(timer.size).toBe(0)
  })

  it('a cancelled deadline never fires, and cancel says whether it was still pending', () => {
    const timer = new DeadlineTimer(50)
    const fired: string[] = []
    const a = timer.start(() => fired.push('a'))
    const b = timer.start(() => fired.push('b'))
    expect(a.cancel()).toBe(true)
    expect(a.cancel()).toBe(false)
    vi.advanceTimersByTime(50)
    expect(fired).toEqual(['b'])
    expect(b.cancel()).toBe(false)
  })

  it('uses one timer for all its deadlines, and none once they are all settled', () => {
    const timer = new DeadlineTimer(1_000)
    const deadlines = Array.from({ length: 100 }, () => timer.start(() => {}))
    expect(vi.getTimerCount()).toBe(1)
    for (const deadline of deadlines) deadline.cancel()
    // Nothing pending keeps a timer (which would keep the process alive).
    expect(vi.getTimerCount()).toBe(0)
    expect(timer.size).toBe(0)
  })

  it('a deadline cancelled inside the queue is dropped when it reaches the head', () => {
    const timer = new DeadlineTimer(10)
    const fired: number[] = []
    const deadlines = [0, 1, 2].map((i) => timer.start(() => fired.push(i)))
    deadlines[1]!.cancel()
    expect(timer.size).toBe(3)
    deadlines[0]!.cancel()
    expect(timer.size).toBe(1)
    vi.advanceTimersByTime(10)
    expect(fired).toEqual([2])
  })

  it('a deadline set while another expires fires at its own time, and the earlier ones at theirs', () => {
    const timer = new DeadlineTimer(100)
    const fired: string[] = []
    timer.start(() => {
      fired.push('first')
      timer.start(() => fired.push('set by first'))
    })
    vi.advanceTimersByTime(10)
    timer.start(() => fired.push('second'))
    vi.advanceTimersByTime(90)
    expect(fired).toEqual(['first'])
    vi.advanceTimersByTime(10)
    expect(fired).toEqual(['first', 'second'])
    vi.advanceTimersByTime(90)
    expect(fired).toEqual(['first', 'second', 'set by first'])
  })

  it('keeps serving deadlines after many have come and gone', () => {
    const timer = new DeadlineTimer(5)
    let fired = 0
    for (let round = 0; round < 3; round++) {
      const deadlines = Array.from({ length: 3_000 }, () => timer.start(() => fired++))
      for (const deadline of deadlines.slice(0, 2_000)) deadline.cancel()
      vi.advanceTimersByTime(5)
    }
    expect(fired).toBe(3_000)
    expect(timer.size).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })
})
