import { ActorNotFoundError, defineActor, InvalidOptionError, NameTakenError } from 'troupe'
import { nextEvent, withTestSystem } from 'troupe/testkit'
import { describe, expect, it } from 'vitest'

type Msg = 'get' | 'inc' | 'crash' | 'stop'

const Counter = defineActor<Msg, number>({
  init: () => 0,
  receive: (n, msg, ctx) => {
    if (msg === 'crash') throw new Error('crash')
    if (msg === 'stop') ctx.stop()
    if (msg === 'get') ctx.reply(n)
    return msg === 'inc' ? n + 1 : n
  },
})

/** Settles like `promise`, or rejects if it has not settled within `ms`. */
function within<T>(ms: number, promise: Promise<T>, what = 'the promise'): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}

function thrownBy(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  return undefined
}

describe('findActor', () => {
  it('finds a named actor and returns undefined for an unknown name', async () => {
    await withTestSystem(async (system) => {
      const ref = system.spawn(Counter, { name: 'counter' })
      const found = system.localActor<Msg>('counter')
      expect(found).toBeDefined()
      expect(found!.equals(ref)).toBe(true)
      expect(found!.path).toBe('/user/counter')
      expect(found!.name).toBe('counter')
      found!.tell('inc')
      await expect(found!.ask('get')).resolves.toBe(1)
      expect(system.localActor('nobody')).toBeUndefined()
      expect(system.registered().map(([name]) => name)).toContain('counter')
    })
  })

  it('does not register actors spawned without a name', async () => {
    await withTestSystem(async (system) => {
      const ref = system.spawn(Counter)
      expect(ref.name.startsWith('$')).toBe(true)
      expect(system.localActor(ref.name)).toBeUndefined()
      expect(system.registered()).toEqual([])
    })
  })

  it('finds a named child of another actor by its name', async () => {
    await withTestSystem(async (system) => {
      const Parent = defineActor<'spawn'>({
        receive: (_s, _m, ctx) => {
          ctx.reply(ctx.spawn(Counter, { name: 'kid' }))
        },
      })
      const parent = system.spawn(Parent, { name: 'parent' })
      await parent.ask('spawn')
      const kid = system.localActor<Msg>('kid')
      expect(kid?.path).toBe('/user/parent/kid')
      await expect(kid!.ask('get')).resolves.toBe(0)
      // Stopping the parent frees the child's name too.
      await system.stop(parent)
      expect(system.localActor('kid')).toBeUndefined()
      expect(system.localActor('parent')).toBeUndefined()
    })
  })
})

describe('waitForActor', () => {
  it('resolves at once for an actor that is already there', async () => {
    await withTestSystem(async (system) => {
      const ref = system.spawn(Counter, { name: 'here' })
      const found = await within(1000, system.waitForActor('here', { timeout: 1000 }))
      expect(found.equals(ref)).toBe(true)
    })
  })

  it('resolves when the actor is spawned later', async () => {
    await withTestSystem(async (system) => {
      const waiting = system.waitForActor<Msg>('late', { timeout: 5000 })
      const other = system.waitForActor<Msg>('late', { timeout: 5000 })
      await new Promise<void>((resolve) => setImmediate(resolve))
      const ref = system.spawn(Counter, { name: 'late' })
      const [found, again] = await within(1000, Promise.all([waiting, other]))
      expect(found.equals(ref)).toBe(true)
      expect(again.equals(ref)).toBe(true)
      await expect(found.ask('get')).resolves.toBe(0)
    })
  })

  it('rejects with ActorNotFoundError naming the actor at its timeout', async () => {
    await withTestSystem(async (system) => {
      const started = performance.now()
      const error = await within(
        2000,
        system.waitForActor('ghost', { timeout: 20 }).catch((e: unknown) => e),
      )
      expect(error).toBeInstanceOf(ActorNotFoundError)
      expect((error as ActorNotFoundError).actorName).toBe('ghost')
      expect((error as ActorNotFoundError).timeoutMs).toBe(20)
      expect((error as Error).message).toContain("'ghost'")
      expect(performance.now() - started).toBeGreaterThanOrEqual(15)
      // An actor spawned after the timeout does not resurrect the rejected wait.
      system.spawn(Counter, { name: 'ghost' })
      expect(system.localActor('ghost')).toBeDefined()
    })
  })

  it('rejects with the reason of an aborted signal', async () => {
    await withTestSystem(async (system) => {
      const controller = new AbortController()
      const waiting = system.waitForActor('never', { timeout: 60_000, signal: controller.signal })
      const reason = new Error('gave up')
      controller.abort(reason)
      await expect(within(1000, waiting)).rejects.toBe(reason)
      const pre = new Error('pre-aborted')
      await expect(
        within(1000, system.waitForActor('never', { timeout: 60_000, signal: AbortSignal.abort(pre) })),
      ).rejects.toBe(pre)
    })
  })
})

describe('name lifecycle', () => {
  it('frees the name when the actor stops, so that it can be reused', async () => {
    await withTestSystem(async (system) => {
      const first = system.spawn(Counter, { name: 'reused' })
      first.tell('inc')
      await system.stop(first)
      expect(system.localActor('reused')).toBeUndefined()
      const second = system.spawn(Counter, { name: 'reused' })
      expect(second.equals(first)).toBe(false)
      expect(system.localActor('reused')?.equals(second)).toBe(true)
      await expect(second.ask('get')).resolves.toBe(0)
    })
  })

  it('frees the name when the actor stops itself', async () => {
    await withTestSystem(async (system) => {
      const ref = system.spawn(Counter, { name: 'quitter' })
      const terminated = system.watch(ref)
      ref.tell('stop')
      expect((await within(1000, terminated)).reason).toBe('normal')
      expect(system.localActor('quitter')).toBeUndefined()
      expect(() => system.spawn(Counter, { name: 'quitter' })).not.toThrow()
    })
  })

  it('a late message to a stopped actor does not reach a new actor with the same name', async () => {
    await withTestSystem(async (system) => {
      const first = system.spawn(Counter, { name: 'slot' })
      await system.stop(first)
      const second = system.spawn(Counter, { name: 'slot' })
      first.tell('inc')
      await expect(second.ask('get')).resolves.toBe(0)
    })
  })

  it('throws NameTakenError for a duplicate, leaving the first actor in place', async () => {
    await withTestSystem(async (system) => {
      const first = system.spawn(Counter, { name: 'unique' })
      const spawned: string[] = []
      const stop = system.inspect((e) => {
        if (e.type === 'spawned') spawned.push(e.ref.path)
      })
      const error = thrownBy(() => system.spawn(Counter, { name: 'unique' }))
      stop()
      expect(error).toBeInstanceOf(NameTakenError)
      expect((error as NameTakenError).actorName).toBe('unique')
      expect((error as Error).message).toContain("'unique'")
      expect(spawned).toEqual([])
      expect(system.localActor('unique')?.equals(first)).toBe(true)
      await expect(first.ask('get')).resolves.toBe(0)
    })
  })

  it('keeps the name across a restart', async () => {
    await withTestSystem(async (system) => {
      const ref = system.spawn(Counter, { name: 'phoenix' })
      ref.tell('inc')
      const restarted = nextEvent(system, 'restarted', (e) => e.ref.equals(ref))
      ref.tell('crash')
      await restarted
      expect(system.localActor('phoenix')?.equals(ref)).toBe(true)
      expect(system.isAlive(ref)).toBe(true)
      await expect(system.localActor<Msg>('phoenix')!.ask('get')).resolves.toBe(0)
      // Still taken: the restarted actor owns it.
      expect(thrownBy(() => system.spawn(Counter, { name: 'phoenix' }))).toBeInstanceOf(NameTakenError)
    })
  })
})

describe('invalid names', () => {
  it.each([
    [''],
    ['$generated'],
    ['/slash'],
    ['a/b'],
    ['with space'],
    ['tab\there'],
    ['-leading-dash'],
    ['.dot'],
    ['x'.repeat(201)],
    [42],
    [null],
  ])('rejects %o with InvalidOptionError naming name', async (name) => {
    await withTestSystem(async (system) => {
      const error = thrownBy(() => system.spawn(Counter, { name: name as string }))
      expect(error).toBeInstanceOf(InvalidOptionError)
      expect((error as InvalidOptionError).option).toBe('name')
      expect((error as Error).message).toContain("'name'")
    })
  })

  it.each([['a'], ['order-17'], ['svc.orders'], ['node@host:9000'], ['_private'], ['x'.repeat(200)]])(
    'accepts %s',
    async (name) => {
      await withTestSystem(async (system) => {
        const ref = system.spawn(Counter, { name })
        expect(ref.name).toBe(name)
        expect(system.localActor(name)?.equals(ref)).toBe(true)
      })
    },
  )
})
