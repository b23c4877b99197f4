/**
 * Ping-pong between two process-style actors, with selective receive.
 *
 * After python-actors' ping-pong: a process-style actor is an async function that takes its
 * messages with `self.receive(match, { timeout })`. It takes the first message that `match`
 * accepts and leaves the others in the mailbox, in order, for a later receive (Erlang's
 * selective receive). When nothing matches before the timeout, `receive` throws
 * `ReceiveTimeoutError`.
 *
 * Run: npx tsx --conditions=source examples/ping-pong.ts
 */
import { pathToFileURL } from 'node:url'
import { type ProcessContext, ReceiveTimeoutError, type Ref, type Signal, start } from 'troupe'

type Ping = { type: 'ping'; n: number; from: Ref<Pong> }
type Pong = { type: 'pong'; n: number }
/** Something the ponger does not look for while it plays: it waits in the mailbox. */
type Note = { type: 'note'; text: string }
/** What may arrive in the ponger's mailbox: its messages and lifecycle signals. */
type PongerInbox = Ping | Note | Signal

const isPing = (m: PongerInbox): m is Ping => m.type === 'ping'
const isNote = (m: PongerInbox): m is Note => m.type === 'note'

/** Answers pings until none comes for a while, then reads the notes it left aside. */
async function ponger(self: ProcessContext<Ping | Note>): Promise<void> {
  try {
    for (;;) {
      const ping = await self.receive(isPing, { timeout: 300 })
      console.log(`ponger: got ping ${ping.n}, sending pong ${ping.n}`)
      ping.from.tell({ type: 'pong', n: ping.n })
    }
  } catch (error) {
    if (!(error instanceof ReceiveTimeoutError)) throw error
    console.log(`ponger: no ping within ${error.timeoutMs} ms (${error.name}), the game is over`)
  }
  // The notes arrived between the pings; they waited in the mailbox, in the order sent.
  const first = await self.receive(isNote, { timeout: 1_000 })
  const second = await self.receive(isNote, { timeout: 1_000 })
  console.log(`ponger: now reading the notes left aside: "${first.text}", then "${second.text}"`)
}

/** Sends `rounds` pings, waiting for each pong; slips two notes in between. */
async function pinger(self: ProcessContext<Pong>, ponger: Ref<Ping | Note>): Promise<void> {
  const rounds = 3
  for (let n = 1; n <= rounds; n++) {
    console.log(`pinger: ping ${n}`)
    ponger.tell({ type: 'ping', n, from: self.self })
    if (n < rounds) {
      const text = n === 1 ? 'first note: nice serve' : 'second note: good game'
      console.log(`pinger: slips in a note the ponger does not look for yet: "${text}"`)
      ponger.tell({ type: 'note', text })
    }
    const pong = await self.receive((m): m is Pong => m.type === 'pong', { timeout: 1_000 })
    console.log(`pinger: got pong ${pong.n}`)
  }
  console.log('pinger: done, no more pings')
}

export async function main(): Promise<void> {
  const system = await start({ logLevel: 'warn' })
  const pongerRef = system.spawn(ponger, { name: 'ponger' })
  const pingerRef = system.spawn(pinger, { name: 'pinger', props: pongerRef })
  await system.watch(pingerRef)
  const end = await system.watch(pongerRef)
  console.log(`ponger finished (${end.reason})`)
  await system.shutdown()
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
