import { AssertionError } from 'node:assert'
import { CancelledError, currentSignal, defineActor, moveOnAfter, type Ref } from 'troupe'
import { withTestSystem } from 'troupe/testkit'
import { describe, expect, it } from 'vitest'
import { failing } from '../../fixtures/failing-functions.ts'

const Idle = defineActor<string>({ receive: (_s, m, ctx) => ctx.reply(m) })

describe('system.nursery', () => {
  it('runInActor returns each function result and the scope waits for all', async () => {
    await withTestSystem(async (system) => {
      const total = await system.nursery(async (n) => {
        const a = n.runInActor('a', async (x: number, y: number) => x + y, [1, 2])
        const b = n.runInActor('b', (x: number) => x * 10, [4])
        return (await a.result()) + (await b.result())
      })
      expect(total).toBe(43)
      expect(system.localActor('a')).toBeUndefined()
    })
  })

  it('daemons live until the scope ends, then stop', async () => {
    await withTestSystem(async (system) => {
      let daemon: Ref<string> | undefined
      await system.nursery(async (n) => {
        daemon = n.spawn(Idle, { name: 'daemon' })
        expect(await daemon.ask('hi')).toBe('hi')
      })
      expect(system.isAlive(daemon!)).toBe(false)
    })
  })

  it('one failure cancels the others and is thrown', async () => {
    await withTestSystem(async (system) => {
      let sawCancel = false
      const error = await system
        .nursery(async (n) => {
          n.runInActor(
            'waiter',
            () =>
              new Promise((_resolve, reject) => {
                // the actor's own signal: aborted when the nursery stops the actor
                const signal = currentSignal()!
                signal.addEventListener('abort', () => {
                  sawCancel = true
                  reject(signal.reason)
                })
              }),
            [],
          )
          n.spawn(Idle)
          n.runInActor('failer', async () => {
            throw new Error('failer failed')
          }, [])
        })
        .catch((e: unknown) => e)
      expect((error as Error).message).toBe('failer failed')
      expect(sawCancel).toBe(true)
    })
  })

  it('25 failing children give one AggregateError with 25 causes', async () => {
    await withTestSystem(async (system) => {
      const error = await system
        .nursery(async (n) => {
          for (let i = 0; i < 25; i++) {
            n.runInActor(
              `f${i}`,
              async (k: number) => {
                await Promise.resolve()
                throw new Error(`child ${k}`)
              },
              [i],
            )
          }
        })
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(AggregateError)
      expect((error as AggregateError).errors).toHaveLength(25)
    })
  })

  it('cancelActor stops one actor; its result rejects with CancelledError', async () => {
    await withTestSystem(async (system) => {
      await system.nursery(async (n) => {
        const forever = n.runInActor('forever', () => new Promise(() => {}), [])
        await forever.cancelActor()
        await expect(forever.result()).rejects.toBeInstanceOf(CancelledError)
      })
    })
  })

  it('moveOnAfter around a nursery cancels its actors through the ambient scope', async () => {
    await withTestSystem(async (system) => {
      let ref: Ref<string> | undefined
      const t0 = performance.now()
      const result = await moveOnAfter(30, () =>
        system.nursery(async (n) => {
          ref = n.spawn(Idle)
          const r = n.runInActor('sleeper', () => new Promise(() => {}), [])
          return r.result()
        }),
      )
      expect(result).toBeUndefined()
      expect(performance.now() - t0).toBeLessThan(1000)
      expect(system.isAlive(ref!)).toBe(false)
    })
  })

  it('the function runs with the actor cancellation as its ambient signal', async () => {
    await withTestSystem(async (system) => {
      await system.nursery(async (n) => {
        const r = n.runInActor('ambient', () => currentSignal() !== undefined, [])
        expect(await r.result()).toBe(true)
      })
    })
  })
})

describe('a nursery counts each failure once', () => {
  it('a body that awaits the result of a run that fails throws that one error', async () => {
    await withTestSystem(async (system) => {
      const boom = new Error('the run failed')
      const error = await system
        .nursery(async (n) => {
          const run = n.runInActor('failer', async () => {
            throw boom
          }, [])
          await run.result()
        })
        .catch((e: unknown) => e)
      expect(error).toBe(boom)
    })
  })

  it('a body that catches the error of a run and rethrows it throws that one error', async () => {
    await withTestSystem(async (system) => {
      let caught: unknown
      const error = await system
        .nursery(async (n) => {
          const run = n.runInActor('failer', () => Promise.reject(new RangeError('out of range')), [])
          try {
            await run.result()
          } catch (e) {
            caught = e
            throw e
          }
        })
        .catch((e: unknown) => e)
      expect(caught).toBeInstanceOf(RangeError)
      expect(error).toBe(caught)
    })
  })

  it('a portal call that fails in the body is thrown once', async () => {
    await withTestSystem(async (system) => {
      const error = await system
        .nursery(async (n) => {
          n.spawn(Idle, { name: 'daemon' })
          const portal = await system.findActor('daemon')
          await portal!.run(failing.assertErr)
        })
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(AssertionError)
    })
  })

  it('a run that fails and a body that fails otherwise give an AggregateError of both', async () => {
    await withTestSystem(async (system) => {
      const error = await system
        .nursery(async (n) => {
          const run = n.runInActor('failer', () => Promise.reject(new RangeError('the run')), [])
          await run.result().catch(() => {
            throw new TypeError('the body')
          })
        })
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(AggregateError)
      const messages = (error as AggregateError).errors.map((e: Error) => e.message).sort()
      expect(messages).toEqual(['the body', 'the run'])
    })
  })
})
