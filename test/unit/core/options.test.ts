import {
  type Behavior,
  defineActor,
  defineProcess,
  InvalidOptionError,
  type SpawnOptions,
  type SystemOptions,
  start,
} from 'troupe'
import { withTestSystem } from 'troupe/testkit'
import { describe, expect, it } from 'vitest'

const Noop = defineActor<unknown>({ receive: () => {} })

function thrownBy(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  return undefined
}

function expectInvalid(error: unknown, option: string): void {
  expect(error, `expected InvalidOptionError for ${option}`).toBeInstanceOf(InvalidOptionError)
  expect((error as InvalidOptionError).option).toBe(option)
  expect((error as Error).message).toContain(`'${option}'`)
  expect((error as Error).name).toBe('InvalidOptionError')
}

// biome-ignore lint/suspicious/noExplicitAny: the cases deliberately pass ill-typed values
type AnyBehavior = Behavior<any, any>

const spawnCases: [string, string, AnyBehavior, SpawnOptions<unknown> | undefined][] = [
  ['capacity 0', 'mailbox.capacity', Noop, { mailbox: { capacity: 0 } }],
  ['capacity -1', 'mailbox.capacity', Noop, { mailbox: { capacity: -1 } }],
  ['capacity NaN', 'mailbox.capacity', Noop, { mailbox: { capacity: Number.NaN } }],
  ['capacity as a string', 'mailbox.capacity', Noop, { mailbox: { capacity: '10' as unknown as number } }],
  [
    'unknown overflow',
    'mailbox.overflow',
    Noop,
    { mailbox: { capacity: 10, overflow: 'drop-all' as unknown as 'fail' } },
  ],
  ['highWater 0', 'mailbox.highWater', Noop, { mailbox: { highWater: 0 } }],
  [
    'mailbox of the definition',
    'mailbox.capacity',
    defineActor<unknown>({ receive: () => {}, mailbox: { capacity: 0 } }),
    undefined,
  ],
  [
    'mailbox of a process',
    'mailbox.overflow',
    defineProcess(async () => {}, { mailbox: { overflow: 'block' as unknown as 'fail' } }),
    undefined,
  ],
  [
    'unknown strategy',
    'supervision.strategy',
    defineActor<unknown>({
      receive: () => {},
      supervision: { strategy: 'all-for-one' as unknown as 'one-for-one' },
    }),
    undefined,
  ],
  [
    'negative maxRestarts',
    'supervision.maxRestarts',
    defineActor<unknown>({ receive: () => {}, supervision: { maxRestarts: -1 } }),
    undefined,
  ],
  [
    'maxRestarts as a string',
    'supervision.maxRestarts',
    defineActor<unknown>({ receive: () => {}, supervision: { maxRestarts: '3' as unknown as number } }),
    undefined,
  ],
  [
    'negative withinMs',
    'supervision.withinMs',
    defineActor<unknown>({ receive: () => {}, supervision: { withinMs: -5 } }),
    undefined,
  ],
  [
    'decide not a function',
    'supervision.decide',
    defineActor<unknown>({ receive: () => {}, supervision: { decide: 'restart' as never } }),
    undefined,
  ],
  [
    'backoff factor below 1',
    'supervision.backoff.factor',
    defineActor<unknown>({
      receive: () => {},
      supervision: { backoff: { minMs: 1, maxMs: 10, factor: 0.5 } },
    }),
    undefined,
  ],
  [
    'strategy of a process',
    'supervision.strategy',
    defineProcess(async () => {}, { supervision: { strategy: 'one-for-none' as never } }),
    undefined,
  ],
  ['behavior null', 'behavior', null as unknown as AnyBehavior, undefined],
  ['behavior a number', 'behavior', 42 as unknown as AnyBehavior, undefined],
  ['behavior a plain object', 'behavior', { receive: () => {} } as unknown as AnyBehavior, undefined],
  ['behavior of an unknown kind', 'behavior', { kind: 'actor' } as unknown as AnyBehavior, undefined],
  ['receive missing', 'receive', defineActor({} as never), undefined],
  ['receive not a function', 'receive', defineActor({ receive: 'yes' } as never), undefined],
  ['init not a function', 'init', defineActor({ receive: () => {}, init: 1 } as never), undefined],
  ['stopped not a function', 'stopped', defineActor({ receive: () => {}, stopped: {} } as never), undefined],
  ['name with a slash', 'name', Noop, { name: 'a/b' }],
  ['empty name', 'name', Noop, { name: '' }],
]

describe('invalid spawn options', () => {
  it.each(spawnCases)('%s is rejected naming %s', async (_label, option, behavior, options) => {
    await withTestSystem(async (system) => {
      const spawned: string[] = []
      const stop = system.inspect((e) => {
        if (e.type === 'spawned') spawned.push(e.ref.path)
      })
      expectInvalid(
        thrownBy(() => system.spawn(behavior, options)),
        option,
      )
      // Nothing was started.
      expect(spawned).toEqual([])
      stop()
    })
  })

  it('is rejected by ctx.spawn too, and the name is not taken', async () => {
    await withTestSystem(async (system) => {
      const Parent = defineActor<'go'>({
        receive: (_s, _m, ctx) => {
          ctx.reply(thrownBy(() => ctx.spawn(Noop, { name: 'kid', mailbox: { capacity: -1 } })))
        },
      })
      const parent = system.spawn(Parent)
      expectInvalid(await parent.ask('go'), 'mailbox.capacity')
      expect(system.localActor('kid')).toBeUndefined()
      expect(() => system.spawn(Noop, { name: 'kid' })).not.toThrow()
    })
  })

  it('rejects spawn options that are not an object', async () => {
    await withTestSystem(async (system) => {
      expect(thrownBy(() => system.spawn(Noop, 'name' as never))).toBeInstanceOf(InvalidOptionError)
    })
  })

  it('accepts valid edge values', async () => {
    await withTestSystem(async (system) => {
      expect(() =>
        system.spawn(Noop, { mailbox: { capacity: Number.POSITIVE_INFINITY, highWater: 1 } }),
      ).not.toThrow()
      expect(() => system.spawn(Noop, { mailbox: { capacity: 1, overflow: 'backpressure' } })).not.toThrow()
      const Lenient = defineActor<unknown>({
        receive: () => {},
        supervision: { maxRestarts: 0, withinMs: 0, strategy: 'rest-for-one' },
      })
      expect(() => system.spawn(Lenient)).not.toThrow()
    })
  })
})

const startCases: [string, string, SystemOptions][] = [
  ['empty node', 'node', { node: '' }],
  ['node with a space', 'node', { node: 'my node' }],
  ['node with a slash', 'node', { node: 'a/b' }],
  ['node a number', 'node', { node: 42 as unknown as string }],
  ['askTimeoutMs 0', 'askTimeoutMs', { askTimeoutMs: 0 }],
  ['askTimeoutMs negative', 'askTimeoutMs', { askTimeoutMs: -1 }],
  ['askTimeoutMs NaN', 'askTimeoutMs', { askTimeoutMs: Number.NaN }],
  ['askTimeoutMs a string', 'askTimeoutMs', { askTimeoutMs: '100' as unknown as number }],
  ['unknown logLevel', 'logLevel', { logLevel: 'loud' as unknown as 'info' }],
  ['unknown messages mode', 'messages', { messages: 'copy' as unknown as 'clone' }],
  ['scheduler.batch 0', 'scheduler.batch', { scheduler: { batch: 0 } }],
  ['scheduler.sliceMs negative', 'scheduler.sliceMs', { scheduler: { sliceMs: -1 } }],
  [
    'system supervision strategy',
    'supervision.strategy',
    { supervision: { strategy: 'any' as unknown as 'one-for-one' } },
  ],
  ['system supervision maxRestarts', 'supervision.maxRestarts', { supervision: { maxRestarts: -2 } }],
]

describe('invalid start() options', () => {
  it.each(startCases)('%s is rejected naming %s', async (_label, option, options) => {
    const outcome = await start({ logLevel: 'silent', ...options }).then(
      async (system) => {
        await system.shutdown()
        return undefined
      },
      (e: unknown) => e,
    )
    expectInvalid(outcome, option)
  })

  it('rejects options that are not an object', async () => {
    expectInvalid(await start(null as unknown as SystemOptions).catch((e: unknown) => e), 'options')
  })

  it('accepts valid values', async () => {
    const system = await start({
      node: 'app@127.0.0.1:9700',
      askTimeoutMs: 1,
      logLevel: 'silent',
      messages: 'clone',
      scheduler: { batch: 1, sliceMs: 1 },
    })
    try {
      expect(system.node).toBe('app@127.0.0.1:9700')
      const ref = system.spawn(Noop)
      expect(ref.address).toBe(`troupe://app@127.0.0.1:9700${ref.path}`)
    } finally {
      await system.shutdown()
    }
  })
})
