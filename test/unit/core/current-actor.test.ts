import { currentActor, defineActor, type Ref } from 'troupe'
import { deferred, withTestSystem } from 'troupe/testkit'
import { describe, expect, it } from 'vitest'

describe('currentActor() inside actors', () => {
  it('names a handler actor, in its synchronous part and across the awaits of an async one', async () => {
    await withTestSystem(async (system) => {
      const Sync = defineActor<'who'>({
        receive(_state, _message, ctx) {
          ctx.reply(currentActor()?.name)
        },
      })
      const Async = defineActor<'who'>({
        async receive(_state, _message, ctx) {
          const before = currentActor()?.name
          await new Promise<void>((resolve) => setImmediate(resolve))
          ctx.reply([before, currentActor()?.name, currentActor()?.address])
        },
      })
      const sync = system.spawn(Sync, { name: 'sync' })
      const async = system.spawn(Async, { name: 'async' })
      await expect(sync.ask('who')).resolves.toBe('sync')
      await expect(async.ask('who')).resolves.toEqual(['async', 'async', async.address])
      expect(currentActor()).toBeUndefined()
    })
  })

  it('names a process-style actor across its receives, with a uid of its own', async () => {
    await withTestSystem(async (system) => {
      const seen = deferred<[string | undefined, string | undefined, string | undefined]>()
      system
        .spawn(
          async (self) => {
            const first = currentActor()
            await self.receive()
            seen.resolve([first?.name, currentActor()?.name, currentActor()?.uid])
          },
          { name: 'proc' },
        )
        .tell('go')
      const [first, later, uid] = await seen.promise
      expect([first, later]).toEqual(['proc', 'proc'])
      expect(uid).toMatch(/^[0-9a-f-]{36}$/)
    })
  })

  it('does not leak into an actor told from an async handler', async () => {
    await withTestSystem(async (system) => {
      const seen = deferred<string | undefined>()
      const Listener = defineActor<'ping'>({
        async receive() {
          await Promise.resolve()
          seen.resolve(currentActor()?.name)
        },
      })
      const listener = system.spawn(Listener, { name: 'listener' })
      const Teller = defineActor<Ref<'ping'>>({
        async receive(_state, target) {
          await new Promise<void>((resolve) => setImmediate(resolve))
          target.tell('ping')
        },
      })
      system.spawn(Teller, { name: 'teller' }).tell(listener)
      await expect(seen.promise).resolves.toBe('listener')
    })
  })
})
