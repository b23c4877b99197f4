import { defineActor, failAfter, InvalidOptionError, type Ref, start, Terminated } from 'troupe'
import { describe, expect, it } from 'vitest'

const Idle = defineActor<string>({ receive: () => {} })

describe('a portal stands for the actor it wraps, on a system with no network', () => {
  it('system.stop, system.watch and system.isAlive take the portal findActor gives', async () => {
    const system = await start({ logLevel: 'silent' })
    try {
      system.spawn(Idle, { name: 'kept' })
      system.spawn(Idle, { name: 'stopped' })
      const kept = await system.findActor('kept')
      const stopped = await system.findActor('stopped')
      expect(kept).toBeDefined()
      expect(stopped).toBeDefined()
      expect(system.isAlive(kept!)).toBe(true)
      const terminated = system.watch(stopped!)
      await failAfter(2_000, () => system.stop(stopped!))
      const signal = await failAfter(2_000, () => terminated)
      expect(signal).toBeInstanceOf(Terminated)
      expect(signal.reason).toBe('stopped')
      expect(system.isAlive(stopped!)).toBe(false)
      expect(await system.findActor('stopped')).toBeUndefined()
      expect(system.isAlive(kept!)).toBe(true)
    } finally {
      await system.shutdown()
    }
  })

  it('system.stop, watch and isAlive refuse what is not a ref with InvalidOptionError', async () => {
    const system = await start({ logLevel: 'silent' })
    try {
      for (const notARef of [undefined, 'troupe://a/user/x', { tell() {} }]) {
        const given = notARef as unknown as Ref
        expect(() => system.stop(given)).toThrow(InvalidOptionError)
        expect(() => system.watch(given)).toThrow(/expected a Troupe ref/)
        expect(() => system.isAlive(given)).toThrow(InvalidOptionError)
      }
    } finally {
      await system.shutdown()
    }
  })
})
