/**
 * The far side of a remote figure, in its own fresh process: `remote-far.ts floor|troupe`.
 * Forked by run.ts; it listens, sends `{ ready: <address> }` over IPC and serves until it is
 * killed (run.ts SIGKILLs it after the measuring worker is done) or its parent goes away. A
 * third argument `sealed` starts the Troupe node with `frameAuth: true`.
 *
 * - floor: a raw `node:net` server. A ping is answered with a pong and an ask with its reply,
 *   one write per frame; tells are counted (in order) and `count` is answered with the count.
 * - troupe: a node `far@127.0.0.1:<port>` exposing the bench actors, which the measuring node
 *   spawns here with `spawn(def, { on })`.
 */
import { createServer, type Socket } from 'node:net'
import { start } from 'troupe'
import {
  type FarReady,
  freePort,
  nodeOptions,
  RawBatcher,
  RawDecoder,
  type RawMsg,
  type RemoteSubjectName,
  rawFrame,
} from './remote.ts'
import { exposed } from './remote-actors.ts'

// Never outlive run.ts, even if it is killed before it can kill this process.
process.on('disconnect', () => process.exit(0))

function ready(address: string): void {
  const message: FarReady = { ready: address }
  process.send?.(message)
}

function serveRaw(socket: Socket): void {
  socket.setNoDelay(true)
  let handled = 0
  let inOrder = true
  const batcher = new RawBatcher((chunk) => socket.write(chunk))
  const decoder = new RawDecoder((message: RawMsg) => {
    switch (message.type) {
      case 'ping':
        socket.write(rawFrame({ type: 'pong', n: message.n }))
        return
      case 'ask':
        socket.write(rawFrame({ type: 'reply', value: message.i + 1 }))
        return
      case 'n':
        if (message.i === handled) handled++
        else inOrder = false
        return
      case 'count':
        batcher.add({ type: 'counted', n: inOrder ? handled : -1 })
        batcher.flush()
        handled = 0
        inOrder = true
        return
      default:
        throw new Error(`the raw far side got ${JSON.stringify(message)}`)
    }
  })
  socket.on('data', (chunk: Buffer) => decoder.push(chunk))
  socket.on('error', () => socket.destroy())
}

async function main(subject: RemoteSubjectName, frameAuth: boolean): Promise<void> {
  if (subject === 'floor') {
    const server = createServer(serveRaw)
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', resolve)
    })
    const address = server.address()
    if (typeof address !== 'object' || address === null) throw new Error('the raw server has no port')
    ready(`127.0.0.1:${address.port}`)
    return
  }
  const system = await start({ ...nodeOptions, frameAuth, node: `far@127.0.0.1:${await freePort()}` })
  system.expose(exposed)
  ready(system.node)
}

const subject = process.argv[2]
if (subject !== 'floor' && subject !== 'troupe') {
  console.error('usage: remote-far.ts floor|troupe [sealed]')
  process.exit(2)
} else {
  main(subject, process.argv[3] === 'sealed').catch((error: unknown) => {
    console.error(error)
    process.exit(1)
  })
}
