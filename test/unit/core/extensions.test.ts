import { start } from 'troupe'
import { describe, expect, it } from 'vitest'
import { ExtensionKey, Extensions, MissingExtensionError } from '../../../src/core/extensions.ts'
import { CHILD_RUNNER, createSystem, PORTALS, REMOTE, RUNTIME } from '../../../src/core/internal.ts'

describe('the extensions of a system', () => {
  it('hold a value by its typed key: get, set, has, ensure, delete', () => {
    const extensions = new Extensions('local')
    const counter = new ExtensionKey<{ n: number }>('counter')
    expect(extensions.get(counter)).toBeUndefined()
    expect(extensions.has(counter)).toBe(false)
    extensions.set(counter, { n: 1 })
    expect(extensions.get(counter)?.n).toBe(1)
    expect(extensions.ensure(counter, () => ({ n: 2 })).n).toBe(1)
    extensions.delete(counter)
    expect(extensions.ensure(counter, () => ({ n: 3 })).n).toBe(3)
    // Two keys with one name are two extensions.
    expect(extensions.get(new ExtensionKey<{ n: number }>('counter'))).toBeUndefined()
  })

  it('require one that is missing with an error naming it, the node, and how to get it', () => {
    const extensions = new Extensions('app')
    const metrics = new ExtensionKey<number>('metrics', 'start it with metrics on')
    expect(() => extensions.require(metrics)).toThrow(MissingExtensionError)
    expect(() => extensions.require(metrics)).toThrow(
      'this system (app) has no metrics: start it with metrics on',
    )
    try {
      extensions.require(metrics)
    } catch (error) {
      expect((error as MissingExtensionError).extension).toBe('metrics')
      expect((error as Error).name).toBe('MissingExtensionError')
    }
    extensions.set(metrics, 0)
    expect(extensions.require(metrics)).toBe(0)
  })

  it('a bare system has its runtime and nothing else; the node-to-node layer is missing by name', async () => {
    const system = createSystem({ logLevel: 'silent' })
    try {
      expect(system.extensions.require(RUNTIME).node).toBe('local')
      expect(system.extensions.get(PORTALS)).toBeUndefined()
      expect(() => system.extensions.require(REMOTE)).toThrow(
        /this system \(local\) has no node-to-node layer: start it with start\(\{ node/,
      )
      // What needs portals says what is missing.
      system.spawn(async (self) => void (await self.receive()), { name: 'a' })
      await expect(system.findActor('a')).rejects.toThrow(/has no portal layer/)
    } finally {
      await system.shutdown()
    }
  })

  it('start() gives a system the portals and the child-node layer, and a local one no remote layer', async () => {
    await using system = await start({ logLevel: 'silent' })
    expect(system.extensions.get(PORTALS)).toBeTypeOf('function')
    expect(system.extensions.get(CHILD_RUNNER)).toBeDefined()
    expect(system.extensions.get(REMOTE)).toBeUndefined()
  })
})
