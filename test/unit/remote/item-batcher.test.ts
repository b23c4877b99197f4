import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ItemBatcher, itemBudget } from '../../../src/remote/portal/item-batcher.ts'

/** A batcher of items that are their own size in bytes, whose end of turn the test runs by hand. */
function batcherOf(budget: number | (() => number)) {
  const sent: number[][] = []
  const turns: (() => void)[] = []
  const batcher = new ItemBatcher(
    (values) => sent.push(values as number[]),
    typeof budget === 'number' ? () => budget : budget,
    (value) => {
      if (typeof value !== 'number') throw new TypeError('not a size')
      return value
    },
    (callback) => turns.push(callback),
  )
  const endTurn = () => {
    for (const callback of turns.splice(0)) callback()
  }
  return { batcher, sent, endTurn }
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0)

describe('ItemBatcher', () => {
  it('sends the items of one turn together at its end', () => {
    const { batcher, sent, endTurn } = batcherOf(100)
    for (const size of [10, 20, 30]) batcher.push(size)
    expect(sent).toEqual([])
    endTurn()
    expect(sent).toEqual([[10, 20, 30]])
    endTurn()
    expect(sent).toHaveLength(1)
  })

  it('sends a batch as soon as the next item would take it over the budget', () => {
    const { batcher, sent, endTurn } = batcherOf(100)
    for (const size of [30, 30, 30, 30, 40, 40]) batcher.push(size)
    expect(sent).toEqual([
      [30, 30, 30],
      [30, 40],
    ])
    endTurn()
    expect(sent).toEqual([[30, 30, 30], [30, 40], [40]])
  })

  it('fills a batch up to the budget exactly', () => {
    const { batcher, sent, endTurn } = batcherOf(100)
    for (const size of [50, 50, 1]) batcher.push(size)
    endTurn()
    expect(sent).toEqual([[50, 50], [1]])
  })

  it('sends an item over the budget at once, alone, after those before it', () => {
    const { batcher, sent, endTurn } = batcherOf(100)
    batcher.push(10)
    batcher.push(250)
    expect(sent).toEqual([[10], [250]])
    batcher.push(20)
    endTurn()
    expect(sent).toEqual([[10], [250], [20]])
  })

  it('sends an item it cannot weigh alone, so that its own encoding says what is wrong', () => {
    const sent: unknown[][] = []
    const batcher = new ItemBatcher(
      (values) => sent.push(values),
      () => 100,
      (value) => {
        if (value === 'bad') throw new Error('a getter threw')
        return 1
      },
      () => {},
    )
    batcher.push('good')
    batcher.push('bad')
    expect(sent).toEqual([['good'], ['bad']])
  })

  it('sends what has gathered on flush, and nothing when nothing has', () => {
    const { batcher, sent, endTurn } = batcherOf(100)
    batcher.flush()
    batcher.push(5)
    batcher.push(6)
    expect(batcher.pending).toBe(2)
    batcher.flush()
    expect(sent).toEqual([[5, 6]])
    expect(batcher.pending).toBe(0)
    endTurn()
    expect(sent).toEqual([[5, 6]])
  })

  it('follows a budget that changes (another connection)', () => {
    let budget = 100
    const { batcher, sent, endTurn } = batcherOf(() => budget)
    batcher.push(60)
    budget = 50
    batcher.push(10)
    expect(sent).toEqual([[60]])
    endTurn()
    expect(sent).toEqual([[60], [10]])
  })

  it('keeps every item, in order, in batches within the budget unless an item alone is over it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000 }),
        fc.array(fc.array(fc.integer({ min: 0, max: 1_500 }), { maxLength: 40 }), { maxLength: 6 }),
        (budget, turns) => {
          const { batcher, sent, endTurn } = batcherOf(budget)
          for (const turn of turns) {
            for (const size of turn) batcher.push(size)
            endTurn()
          }
          expect(sent.flat()).toEqual(turns.flat())
          for (const batch of sent) {
            expect(batch.length).toBeGreaterThan(0)
            if (batch.length > 1) expect(sum(batch)).toBeLessThanOrEqual(budget)
          }
        },
      ),
    )
  })

  it("leaves room for the envelope in a connection's frame", () => {
    expect(itemBudget(1024 * 1024)).toBe(1024 * 1024 - 256)
    expect(itemBudget(1024 * 1024)).toBeLessThan(1024 * 1024)
    expect(itemBudget(300)).toBe(150)
  })
})
