import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import {
  ActorStoppedError,
  AskTimeoutError,
  defineActor,
  failAfter,
  moveOnAfter,
  TimeoutError,
  UnhandledMessageError,
} from 'troupe'
import { deferred, nextEvent, withTestSystem } from 'troupe/testkit'
import { describe, expect, it } from 'vitest'

/** Settles like `promise`, or rejects if it has not settled within `ms`. */
function within<T>(ms: number, promise: Promise<T>, what = 'the promise'): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}

const settle = <T>(promise: Promise<T>): Promise<{ value: T } | { error: unknown }> =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  )

type Msg =
  | { type: 'echo'; value: unknown }
  | { type: 'ignore' }
  | { type: 'throw'; error: unknown }
  | { type: 'reject'; error: unknown }
  | { type: 'count' }
  | { type: 'unknown' }
  | { type: 'block' }

const Echo = defineActor<Msg, { count: number }>({
  init: () => ({ count: 0 }),
  receive: (state, msg, ctx) => {
    switch (msg.type) {
      case 'echo':
        ctx.reply(msg.value)
        return state
      case 'ignore':
        return state
      case 'throw':
        throw msg.error
      case 'reject':
        return Promise.reject(msg.error)
      case 'count':
        ctx.reply(state.count + 1)
        return { count: state.count + 1 }
      default:
        ctx.unhandled()
        return state
    }
  },
})

describe('ask', () => {
  it('resolves with the reply', async () => {
    await withTestSystem(async (system) => {
      const echo = system.spawn(Echo)
      await expect(echo.ask({ type: 'echo', value: 42 }, { timeout: 1000 })).resolves.toBe(42)
      await expect(echo.ask({ type: 'echo', value: 'x' })).resolves.toBe('x')
    })
  })

  it('resolves with a reply given later by an async handler', async () => {
    await withTestSystem(async (system) => {
      const Later = defineActor<string>({
        receive: async (_s, msg, ctx) => {
          await new Promise<void>((resolve) => setImmediate(resolve))
          ctx.reply(`${msg}!`)
        },
      })
      const ref = system.spawn(Later)
      await expect(ref.ask('hi', { timeout: 1000 })).resolves.toBe('hi!')
    })
  })

  it('rejects with AskTimeoutError naming the target at its timeout, and never hangs', async () => {
    await withTestSystem(async (system) => {
      const echo = system.spawn(Echo, { name: 'silent-one' })
      const started = performance.now()
      const outcome = await within(2000, settle(echo.ask({ type: 'ignore' }, { timeout: 20 })))
      const elapsed = performance.now() - started
      expect('error' in outcome).toBe(true)
      const error = (outcome as { error: unknown }).error
      expect(error).toBeInstanceOf(AskTimeoutError)
      expect((error as AskTimeoutError).target).toBe(echo.address)
      expect((error as AskTimeoutError).timeoutMs).toBe(20)
      expect((error as Error).message).toContain('/user/silent-one')
      expect((error as Error).message).toContain('20 ms')
      expect(elapsed).toBeGreaterThanOrEqual(15)
      expect(elapsed).toBeLessThan(1000)
    })
  })

  it('times out asks with different timeouts independently, in deadline order', async () => {
    await withTestSystem(async (system) => {
      const echo = system.spawn(Echo)
      const order: number[] = []
      const asks = [60, 20, 40].map((timeout) =>
        echo.ask({ type: 'ignore' }, { timeout }).catch((e: unknown) => {
          expect(e).toBeInstanceOf(AskTimeoutError)
          order.push(timeout)
        }),
      )
      // One answered ask among them changes nothing for the others.
      await expect(echo.ask({ type: 'echo', value: 1 }, { timeout: 20 })).resolves.toBe(1)
      await within(2000, Promise.all(asks))
      expect(order).toEqual([20, 40, 60])
    })
  })

  it('times out a later ask after an earlier one with the same timeout was answered', async () => {
    await withTestSystem(async (system) => {
      const echo = system.spawn(Echo)
      await echo.ask({ type: 'echo', value: 1 }, { timeout: 30 })
      const error = await within(
        2000,
        echo.ask({ type: 'ignore' }, { timeout: 30 }).catch((e: unknown) => e),
      )
      expect(error).toBeInstanceOf(AskTimeoutError)
    })
  })

  it("uses the system's askTimeoutMs when the ask gives no timeout", async () => {
    await withTestSystem(
      async (system) => {
        const echo = system.spawn(Echo)
        const error = await within(
          2000,
          echo.ask({ type: 'ignore' }).catch((e: unknown) => e),
        )
        expect(error).toBeInstanceOf(AskTimeoutError)
        expect((error as AskTimeoutError).timeoutMs).toBe(25)
      },
      { askTimeoutMs: 25 },
    )
  })

  it("a timeout beyond setTimeout's limit neither fires early nor spins a timer", async () => {
    const warnings: string[] = []
    const onWarning = (warning: Error) => {
      if (warning.name === 'TimeoutOverflowWarning') warnings.push(warning.message)
    }
    process.on('warning', onWarning)
    // Settles the long asks at the end, so that a spinning timer does not outlive the test.
    const cleanup = new AbortController()
    try {
      await withTestSystem(async (system) => {
        const echo = system.spawn(Echo)
        const { signal } = cleanup
        const forever = settle(echo.ask({ type: 'ignore' }, { timeout: Number.POSITIVE_INFINITY, signal }))
        const fortyDays = settle(echo.ask({ type: 'ignore' }, { timeout: 40 * 24 * 3600 * 1000, signal }))
        // Let a short ask time out meanwhile: the long ones must still be pending, quietly.
        await echo.ask({ type: 'ignore' }, { timeout: 30 }).catch(() => undefined)
        await new Promise<void>((resolve) => setImmediate(resolve))
        const pending = await Promise.race([
          Promise.race([forever, fortyDays]).then(() => 'settled'),
          new Promise<string>((resolve) => setImmediate(() => resolve('pending'))),
        ])
        expect(pending).toBe('pending')
        expect(warnings).toEqual([])
      })
    } finally {
      cleanup.abort()
      process.off('warning', onWarning)
    }
  })

  it('to a stopped actor rejects at once with ActorStoppedError', async () => {
    await withTestSystem(async (system) => {
      const echo = system.spawn(Echo)
      await system.stop(echo)
      const asked = settle(echo.ask({ type: 'echo', value: 1 }, { timeout: 60_000 }))
      // Settled before any timer could fire.
      const outcome = await Promise.race([
        asked,
        new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending'))),
      ])
      expect(outcome).not.toBe('pending')
      const error = (outcome as { error: unknown }).error
      expect(error).toBeInstanceOf(ActorStoppedError)
      expect((error as ActorStoppedError).target).toBe(echo.address)
    })
  })

  it('rejects queued asks with ActorStoppedError when the actor stops', async () => {
    await withTestSystem(async (system) => {
      const gate = deferred()
      const entered = deferred()
      const Gated = defineActor<string>({
        receive: async (_s, msg, ctx) => {
          if (msg === 'block') {
            entered.resolve()
            await gate.promise
          }
          ctx.reply(msg)
        },
      })
      const ref = system.spawn(Gated)
      ref.tell('block')
      await entered.promise
      const queued = ['a', 'b', 'c'].map((m) => settle(ref.ask(m, { timeout: 60_000 })))
      await system.stop(ref)
      const outcomes = await within(1000, Promise.all(queued))
      for (const outcome of outcomes) {
        expect((outcome as { error: unknown }).error).toBeInstanceOf(ActorStoppedError)
      }
      gate.resolve()
    })
  })

  it('rejects the ask being handled with ActorStoppedError when the actor is stopped meanwhile', async () => {
    await withTestSystem(async (system) => {
      const gate = deferred()
      const entered = deferred()
      const Gated = defineActor<string>({
        receive: async (_s, msg, ctx) => {
          entered.resolve()
          await gate.promise
          ctx.reply(msg)
        },
      })
      const ref = system.spawn(Gated)
      const inFlight = settle(ref.ask('block', { timeout: 60_000 }))
      await entered.promise
      await system.stop(ref)
      const outcome = await within(500, inFlight, 'the in-flight ask').catch((e: unknown) => ({ error: e }))
      gate.resolve()
      expect((outcome as { error: unknown }).error).toBeInstanceOf(ActorStoppedError)
    })
  })

  it('rejects with the very error the handler threw, and the actor is restarted', async () => {
    await withTestSystem(async (system) => {
      const echo = system.spawn(Echo)
      await expect(echo.ask({ type: 'count' })).resolves.toBe(1)
      await expect(echo.ask({ type: 'count' })).resolves.toBe(2)
      const boom = new Error('boom')
      const restarted = nextEvent(system, 'restarted', (e) => e.ref.equals(echo))
      await expect(echo.ask({ type: 'throw', error: boom }, { timeout: 1000 })).rejects.toBe(boom)
      const event = await restarted
      expect(event.error).toBe(boom)
      // Fresh state after the restart, same ref.
      await expect(echo.ask({ type: 'count' })).resolves.toBe(1)
      expect(system.isAlive(echo)).toBe(true)
    })
  })

  it('rejects with the very error an async handler rejected with', async () => {
    await withTestSystem(async (system) => {
      const echo = system.spawn(Echo)
      const error = { not: 'an Error instance' }
      await expect(echo.ask({ type: 'reject', error }, { timeout: 1000 })).rejects.toBe(error)
      await expect(echo.ask({ type: 'echo', value: 'alive' })).resolves.toBe('alive')
    })
  })

  it('rejects with the signal reason when the signal aborts', async () => {
    await withTestSystem(async (system) => {
      const echo = system.spawn(Echo)
      const controller = new AbortController()
      const asked = echo.ask({ type: 'ignore' }, { timeout: 60_000, signal: controller.signal })
      const reason = new Error('no longer needed')
      controller.abort(reason)
      await expect(within(1000, asked)).rejects.toBe(reason)
    })
  })

  it('rejects at once with the reason of an already aborted signal', async () => {
    await withTestSystem(async (system) => {
      const echo = system.spawn(Echo)
      const reason = new Error('too late')
      await expect(
        within(
          1000,
          echo.ask({ type: 'echo', value: 1 }, { timeout: 60_000, signal: AbortSignal.abort(reason) }),
        ),
      ).rejects.toBe(reason)
      // The actor is unaffected.
      await expect(echo.ask({ type: 'echo', value: 2 })).resolves.toBe(2)
    })
  })

  it('is cancelled by the ambient scope: moveOnAfter returns undefined promptly', async () => {
    await withTestSystem(async (system) => {
      const echo = system.spawn(Echo)
      const started = performance.now()
      const result = await within(
        2000,
        moveOnAfter(20, () => echo.ask({ type: 'ignore' })),
        'moveOnAfter',
      )
      expect(result).toBeUndefined()
      expect(performance.now() - started).toBeLessThan(1000)
      // and failAfter rejects with its TimeoutError
      const error = await within(
        2000,
        failAfter(20, () => echo.ask({ type: 'ignore' })).catch((e: unknown) => e),
        'failAfter',
      )
      expect(error).toBeInstanceOf(TimeoutError)
      // An answered ask inside the scope returns normally.
      await expect(moveOnAfter(5000, () => echo.ask({ type: 'echo', value: 7 }))).resolves.toBe(7)
    })
  }, 5000)

  it('rejects with UnhandledMessageError when the receiver calls ctx.unhandled()', async () => {
    await withTestSystem(async (system) => {
      const echo = system.spawn(Echo)
      const dead = nextEvent(system, 'dead-letter', (e) => e.to.equals(echo))
      const error = await echo.ask({ type: 'unknown' }, { timeout: 1000 }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(UnhandledMessageError)
      expect((error as UnhandledMessageError).target).toBe(echo.address)
      const event = await dead
      expect(event.reason).toBe('unhandled')
      expect(event.message).toEqual({ type: 'unknown' })
    })
  })

  it('rejects with UnhandledMessageError when a custom unhandled hook runs', async () => {
    await withTestSystem(async (system) => {
      const seen: unknown[] = []
      const Picky = defineActor<string>({
        receive: (_s, _m, ctx) => ctx.unhandled(),
        unhandled: (message) => {
          seen.push(message)
        },
      })
      const ref = system.spawn(Picky)
      await expect(ref.ask('what?', { timeout: 1000 })).rejects.toBeInstanceOf(UnhandledMessageError)
      expect(seen).toEqual(['what?'])
    })
  })

  it('resolves 10k concurrent asks, each with its own reply', async () => {
    await withTestSystem(async (system) => {
      const echo = system.spawn(Echo)
      const N = 10_000
      const replies = await within(
        5000,
        Promise.all(Array.from({ length: N }, (_, n) => echo.ask<number>({ type: 'echo', value: n }))),
      )
      expect(replies).toEqual(Array.from({ length: N }, (_, n) => n))
    })
  })

  it('replies to an asker from another actor through ctx.sender', async () => {
    await withTestSystem(async (system) => {
      const echo = system.spawn(Echo)
      const Relay = defineActor<number>({
        receive: async (_s, n, ctx) => {
          const doubled = await echo.ask<number>({ type: 'echo', value: n * 2 })
          ctx.reply(doubled)
        },
      })
      const relay = system.spawn(Relay)
      await expect(relay.ask(21, { timeout: 1000 })).resolves.toBe(42)
    })
  })
})

describe('ask and process exit', () => {
  it('pending ask deadlines do not keep the process alive after shutdown', async () => {
    const fixture = fileURLToPath(new URL('../../fixtures/ask-exit.ts', import.meta.url))
    const root = fileURLToPath(new URL('../../..', import.meta.url))
    let child: ChildProcess | undefined
    try {
      child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', fixture], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      const proc = child
      let stderr = ''
      proc.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString()
      })
      const exited = once(proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
      const done = new Promise<void>((resolve, reject) => {
        let out = ''
        proc.stdout?.on('data', (chunk: Buffer) => {
          out += chunk.toString()
          if (out.includes('done')) resolve()
        })
        exited.then(() => reject(new Error(`the fixture exited before 'done': ${stderr}`)))
      })
      // Starting node with tsx takes a while; the bound that matters is the one after 'done'.
      await within(10_000, done, "the fixture's asks")
      const [code, signal] = await within(2000, exited, 'the exit after shutdown')
      expect(signal).toBeNull()
      expect(code).toBe(0)
    } finally {
      if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    }
  })
})
