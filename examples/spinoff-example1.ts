/**
 * A parent and its child talk; the child crashes and its parent restarts it.
 *
 * A port of spinoff's example1: a parent actor spawns a child, sends it work, and the child
 * answers. One piece of work makes the child throw. The parent supervises its children
 * (restart, by default), so the child comes back with fresh state and goes on with the
 * messages still waiting in its mailbox; the message that crashed it is not handled again.
 *
 * Run: npx tsx --conditions=source examples/spinoff-example1.ts
 */
import { pathToFileURL } from 'node:url'
import { defineActor, type ProcessContext, type Ref, start } from 'troupe'

/** What the parent sends: a number to square, and where to send the answer. */
type Work = { type: 'work'; n: number; replyTo: Ref<ChildSays> }

/** What the child says to its parent. */
type ChildSays = { type: 'hello' } | { type: 'answer'; n: number; square: number; handledThisLife: number }

/** The number the child cannot stand. */
const POISON = 3

const Child = defineActor<Work, { handled: number }>({
  // `init` runs at spawn and again at every restart: that is the fresh state.
  init: () => ({ handled: 0 }),
  started(_state, ctx) {
    ctx.parent?.tell({ type: 'hello' })
  },
  receive(state, work) {
    if (work.n === POISON) {
      console.log(`  child: ${work.n}? I can't stand ${work.n}! (throws)`)
      throw new Error(`cannot square ${work.n}`)
    }
    const handled = state.handled + 1
    work.replyTo.tell({ type: 'answer', n: work.n, square: work.n * work.n, handledThisLife: handled })
    return { handled }
  },
})

/** The parent: a process-style actor that spawns the child, sends it work and listens to it. */
async function parent(self: ProcessContext<ChildSays>): Promise<void> {
  const child = self.spawn(Child, { name: 'child' })
  const squares: number[] = []
  let hellos = 0

  const send = (n: number): void => {
    console.log(`parent -> child: please square ${n}`)
    child.tell({ type: 'work', n, replyTo: self.self })
  }
  const hear = async (): Promise<void> => {
    const said = await self.receive((m): m is ChildSays => m.type === 'hello' || m.type === 'answer', {
      timeout: 5_000,
    })
    if (said.type === 'hello') {
      hellos++
      console.log(
        hellos === 1
          ? 'child -> parent: hello, I am ready'
          : 'child -> parent: hello again, I was restarted with fresh state',
      )
      return
    }
    console.log(
      `child -> parent: ${said.n} squared is ${said.square} (answer #${said.handledThisLife} of this life)`,
    )
    squares.push(said.square)
  }

  await hear() // hello
  for (const n of [1, 2]) {
    send(n)
    await hear()
  }
  // Two at once: both wait in the child's mailbox. The first crashes the child; the second is
  // still there for the restarted child, since a restart keeps the mailbox.
  send(POISON)
  send(4)
  await hear() // hello from the restarted child
  await hear() // the answer for 4
  send(5)
  await hear()
  console.log(
    `parent: got ${squares.join(', ')}; ${POISON} was never answered (its message is not redelivered)`,
  )
}

export async function main(): Promise<void> {
  const system = await start({ logLevel: 'warn' })
  let restarts = 0
  system.inspect((event) => {
    if (event.type === 'restarted') restarts++
  })
  const boss = system.spawn(parent, { name: 'parent' })
  const end = await system.watch(boss)
  console.log(`parent finished (${end.reason}); its child was restarted ${restarts} time(s)`)
  await system.shutdown()
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
