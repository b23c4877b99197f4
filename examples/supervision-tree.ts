/**
 * An Erlang-style supervision tree with the one-for-all strategy.
 *
 * `supervisor({ strategy, children })` starts its children in order and restarts them when
 * one fails. With `one-for-all`, a crash of any child restarts all of them: use it when the
 * children depend on each other and cannot go on alone. Here `db` holds a connection,
 * `cache` remembers what `db` answered, and `api` serves requests through the cache. When
 * the cache crashes, all three restart with fresh state: `db` opens a new connection, the
 * cache is empty and `api` counts from zero. Stopping the tree stops the children in
 * reverse order, each running its `stopped` hook.
 *
 * Run: npx tsx --conditions=source examples/supervision-tree.ts
 */
import { pathToFileURL } from 'node:url'
import { type ChildInfo, defineActor, type InspectionEvent, type Ref, start, supervisor } from 'troupe'

type Stats = { type: 'stats' }
type DbMsg = { type: 'query'; key: string } | Stats
type CacheMsg = { type: 'get'; key: string } | { type: 'corrupt' } | Stats
type ApiMsg = { type: 'request'; key: string } | Stats

/** Stands for the database server, outside the actor system: it numbers its connections. */
const databaseServer = {
  connections: 0,
  rows: new Map([
    ['user:1', 'Ada'],
    ['user:2', 'Grace'],
  ]),
}

const Db = defineActor<DbMsg, { connection: number; queries: number }>({
  init: () => ({ connection: ++databaseServer.connections, queries: 0 }),
  started: (state) => console.log(`  db: started, opened connection #${state.connection}`),
  stopped: (state, _ctx, reason) => console.log(`  db: closing connection #${state.connection} (${reason})`),
  receive(state, msg, ctx) {
    if (msg.type === 'stats') {
      ctx.reply(`connection #${state.connection}, ${state.queries} queries`)
      return state
    }
    ctx.reply(databaseServer.rows.get(msg.key) ?? null)
    return { ...state, queries: state.queries + 1 }
  },
})

const Cache = defineActor<CacheMsg, { entries: Map<string, string | null> }>({
  init: () => ({ entries: new Map() }),
  started: () => console.log('  cache: started, empty'),
  stopped: (_state, _ctx, reason) => console.log(`  cache: stopped (${reason})`),
  async receive(state, msg, ctx) {
    switch (msg.type) {
      case 'stats':
        ctx.reply(`${state.entries.size} entries`)
        return state
      case 'corrupt':
        throw new Error('the cache is corrupted')
      case 'get': {
        if (state.entries.has(msg.key)) {
          ctx.reply(`${state.entries.get(msg.key)} (cache hit)`)
          return state
        }
        const db = ctx.system.localActor<DbMsg>('db')!
        const value = await db.ask<string | null>({ type: 'query', key: msg.key })
        state.entries.set(msg.key, value)
        ctx.reply(`${value} (cache miss, asked db)`)
        return state
      }
    }
  },
})

const Api = defineActor<ApiMsg, { served: number }>({
  init: () => ({ served: 0 }),
  started: () => console.log('  api: started, served 0 requests'),
  stopped: (state, _ctx, reason) => console.log(`  api: stopped after ${state.served} requests (${reason})`),
  async receive(state, msg, ctx) {
    if (msg.type === 'stats') {
      ctx.reply(`${state.served} requests served`)
      return state
    }
    const cache = ctx.system.localActor<CacheMsg>('cache')!
    ctx.reply(await cache.ask<string>({ type: 'get', key: msg.key }))
    return { served: state.served + 1 }
  },
})

export async function main(): Promise<void> {
  const system = await start({ logLevel: 'warn' })
  const restarted: string[] = []
  system.inspect((event: InspectionEvent) => {
    if (event.type === 'restarted') restarted.push(event.ref.name)
  })

  console.log('starting the tree app -> [db, cache, api], strategy one-for-all')
  const app = system.spawn(
    supervisor({
      strategy: 'one-for-all',
      children: [
        { name: 'db', behavior: Db },
        { name: 'cache', behavior: Cache },
        { name: 'api', behavior: Api },
      ],
    }),
    { name: 'app' },
  )
  const children = await app.ask<ChildInfo[]>({ type: 'which-children' })
  console.log(`which-children: ${children.map((c) => `${c.ref.path} (${c.restart})`).join(', ')}`)
  const [db, cache, api] = children.map((c) => c.ref) as [Ref<DbMsg>, Ref<CacheMsg>, Ref<ApiMsg>]

  const stats = async (): Promise<void> => {
    console.log(`  db:    ${await db.ask({ type: 'stats' })}`)
    console.log(`  cache: ${await cache.ask({ type: 'stats' })}`)
    console.log(`  api:   ${await api.ask({ type: 'stats' })}`)
  }

  for (const key of ['user:1', 'user:1', 'user:2']) {
    console.log(`GET ${key} -> ${await api.ask({ type: 'request', key })}`)
  }
  console.log('state of the children:')
  await stats()

  console.log('crashing the cache...')
  try {
    await cache.ask({ type: 'corrupt' })
  } catch (error) {
    console.log(`cache crashed: ${(error as Error).message}`)
  }
  // Messages sent now wait in the mailboxes until the children are back.
  console.log(`GET user:1 -> ${await api.ask({ type: 'request', key: 'user:1' })}`)
  console.log(`one-for-all restarted ${restarted.length} children: ${restarted.join(', ')}`)
  console.log('state of the children after the restart:')
  await stats()

  const after = await app.ask<ChildInfo[]>({ type: 'which-children' })
  const same = after.every((c, i) => c.ref.equals(children[i]!.ref))
  console.log(`which-children: ${after.map((c) => c.name).join(', ')} (same refs as before: ${same})`)

  console.log('shutting down: children stop in reverse order')
  await system.shutdown()
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
