/**
 * Nodes: the same actor on two nodes over TCP, in a child process and in a worker thread, all
 * from one program. A ref to a remote actor is used exactly like a local one, and when a node
 * dies its watchers are told (`node-down`).
 *
 * Run: npx tsx --conditions=source examples/nodes.ts
 */
import { pathToFileURL } from 'node:url'
import { defineActor, start, startChildNode } from 'troupe'
import { freePort } from 'troupe/testkit'

type CounterMsg = { type: 'inc'; by: number } | { type: 'where' }

/** Counts, and says which process and thread it runs in. */
export const Counter = defineActor<CounterMsg, number>({
  init: () => 0,
  async receive(n, msg, ctx) {
    if (msg.type === 'inc') return n + msg.by
    const { threadId } = await import('node:worker_threads')
    ctx.reply(`${n} counted by ${ctx.self.address} in process ${process.pid}, thread ${threadId}`)
    return n
  },
})

async function countTo(
  label: string,
  counter: { tell(m: CounterMsg): void; ask<R>(m: CounterMsg): Promise<R> },
) {
  for (let i = 1; i <= 100; i++) counter.tell({ type: 'inc', by: i })
  console.log(`${label}: ${await counter.ask<string>({ type: 'where' })}`)
}

export async function main(): Promise<void> {
  const cookie = 'nodes-example-cookie'
  const a = await start({ node: `a@127.0.0.1:${await freePort()}`, cookie, logLevel: 'warn' })
  const b = await start({ node: `b@127.0.0.1:${await freePort()}`, cookie, logLevel: 'warn' })
  // Both nodes expose the definition under one name: b may then start it for a.
  for (const node of [a, b]) node.expose({ Counter })
  console.log(`this program is process ${process.pid}; nodes ${a.node} and ${b.node}`)

  await countTo('over TCP', a.spawn(Counter, { on: b.node }))

  const here = new URL(import.meta.url).href
  for (const where of ['process', 'thread'] as const) {
    const child = await startChildNode(a, { in: where, modules: [here] })
    const counter = a.spawn(Counter, { on: child.node })
    await countTo(`in a child ${where}`, counter)
    const down = a.watch(counter)
    await child.stop()
    console.log(`the child ${where} stopped; its counter's watcher got: ${(await down).reason}`)
  }

  await Promise.all([a.shutdown(), b.shutdown()])
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
