import { type ActorSystem, type ChildNode, type ChildPool, createChildPool, start } from 'troupe'
import { afterEach, describe, expect, it } from 'vitest'
import { Counter } from '../../fixtures/child-actors.ts'

const actors = new URL('../../fixtures/child-actors.ts', import.meta.url).href
const cleanups: (() => Promise<unknown>)[] = []

afterEach(async () => {
  await Promise.allSettled(
    cleanups
      .splice(0)
      .reverse()
      .map((f) => f()),
  )
})

async function system(): Promise<ActorSystem> {
  const s = await start({ logLevel: 'silent' })
  s.expose({ Counter })
  cleanups.push(() => s.shutdown())
  return s
}

function pooled(pool: ChildPool): ChildPool {
  cleanups.push(() => pool.close())
  return pool
}

function taken(child: ChildNode): ChildNode {
  cleanups.push(() => child.stop())
  return child
}

describe.each(['thread', 'process'] as const)('a pool of child %s nodes', (kind) => {
  it('hands out a started child that loads its modules when taken, and starts another', async () => {
    const s = await system()
    const pool = pooled(createChildPool(s, { in: kind, size: 1, graceMs: 1_000 }))
    const first = taken(await pool.take({ modules: [actors] }))
    const counter = s.spawn(Counter, { on: first.node })
    for (let i = 1; i <= 100; i++) counter.tell({ type: 'inc', by: i })
    expect(await counter.ask({ type: 'get' })).toBe(5050)

    // the pool has started the next one meanwhile: taking it costs a message and an import
    await pool.ready()
    const t0 = performance.now()
    const second = taken(await pool.take({ modules: [actors] }))
    const again = s.spawn(Counter, { on: second.node })
    expect(await again.ask({ type: 'get' })).toBe(0)
    const warm = performance.now() - t0
    expect(second.node).not.toBe(first.node)
    console.log(`${kind}: warm take to first reply ${warm.toFixed(1)} ms`)
  })

  it('children that load the pool modules as they start are ready to spawn on at once', async () => {
    const s = await system()
    const pool = pooled(createChildPool(s, { in: kind, size: 2, modules: [actors], graceMs: 1_000 }))
    taken(await pool.take())
    await pool.ready()
    const t0 = performance.now()
    const child = taken(await pool.take())
    const counter = s.spawn(Counter, { on: child.node })
    expect(await counter.ask({ type: 'get' })).toBe(0)
    console.log(`${kind}: spawn on a warm child to first reply ${(performance.now() - t0).toFixed(1)} ms`)
  })

  it('close stops the children still waiting', async () => {
    const s = await system()
    const pool = createChildPool(s, { in: kind, size: 2, graceMs: 1_000 })
    const child = taken(await pool.take())
    await pool.close()
    await expect(pool.take()).rejects.toThrow(/closed/)
    expect(child.node).toMatch(/^child-/)
  })
})
