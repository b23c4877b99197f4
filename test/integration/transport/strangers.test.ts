import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ActorSystem, failAfter, start } from 'troupe'
import { freePort } from 'troupe/testkit'
import { describe, expect, it } from 'vitest'
import { HandshakeError, type Listener } from '../../../src/transport/index.ts'
import { hasOpenssl, makePki } from '../../support/pki.ts'
import { root } from '../../support/run-node.ts'
import {
  CapturedLog,
  COOKIE,
  cleanupsAfterEach,
  connect,
  connectedPair,
  handshakeByHand,
  listen,
  portOf,
  socketClosed,
  within,
} from './support.ts'

const cleanups = cleanupsAfterEach()

/** A raw socket to `port` on 127.0.0.1 from the local address `from` (any 127.x.y.z is this host). */
async function socketFrom(port: number, from: string): Promise<net.Socket> {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress: from })
  socket.on('error', () => {})
  cleanups.push(() => socket.destroy())
  await within(
    new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve())
      socket.once('error', reject)
    }),
    5_000,
    `a connection from ${from}`,
  )
  socket.resume()
  return socket
}

/** An honest client from 127.0.0.1 still gets an echo. */
async function stillServes(listener: Listener, log: CapturedLog): Promise<void> {
  const { client, server } = await connectedPair(listener, log)
  cleanups.push(() => client[Symbol.asyncDispose]())
  server.onFrame((body) => server.send(body))
  const echoed = new Promise<string>((resolve) =>
    client.onFrame((body) => resolve(Buffer.from(body).toString())),
  )
  client.send(Buffer.from('still here'))
  expect(await within(echoed, 5_000, 'the echo')).toBe('still here')
}

function refusalLines(log: CapturedLog, reason: string) {
  return log.lines.filter((line) => line.reason === reason)
}

describe('strangers cost little', () => {
  it('closes at once a connection over maxHandshakesPerAddress, logs it once, and serves other addresses', async () => {
    const log = new CapturedLog()
    const listener = await listen('server', log, { maxHandshakesPerAddress: 3, handshakeTimeoutMs: 10_000 })
    cleanups.push(() => listener.close())
    const port = portOf(listener)
    const held = [] as net.Socket[]
    for (let n = 0; n < 3; n++) held.push(await socketFrom(port, '127.0.0.2'))
    const started = performance.now()
    for (let n = 0; n < 20; n++) await socketClosed(await socketFrom(port, '127.0.0.2'), 2_000)
    // Closed on arrival, long before the 10 s handshake timeout.
    expect(performance.now() - started).toBeLessThan(2_000)
    expect(held.every((socket) => !socket.closed)).toBe(true)
    const lines = refusalLines(log, 'address-handshakes')
    expect(lines).toHaveLength(1)
    expect(lines[0]?.msg).toMatch(
      /^refused connection from 127\.0\.0\.2:\d+ before its handshake: 3 connections from 127\.0\.0\.2 are in their handshake, the most maxHandshakesPerAddress allows$/,
    )
    await stillServes(listener, log)
  })

  it('closes at once a connection over maxHandshakes, from any address, and takes one again once a place is free', async () => {
    const log = new CapturedLog()
    const listener = await listen('server', log, { maxHandshakes: 4, handshakeTimeoutMs: 10_000 })
    cleanups.push(() => listener.close())
    const port = portOf(listener)
    const held = [] as net.Socket[]
    for (let n = 2; n < 6; n++) held.push(await socketFrom(port, `127.0.0.${n}`))
    for (let n = 6; n < 16; n++) await socketClosed(await socketFrom(port, `127.0.0.${n}`), 2_000)
    expect(refusalLines(log, 'handshakes')).toHaveLength(1)
    held[0]!.destroy()
    await socketClosed(held[0]!, 2_000)
    // The place is freed when the server sees the close: an honest client may need a moment.
    await failAfter(5_000, async (signal) => {
      for (;;) {
        try {
          await stillServes(listener, log)
          return
        } catch (error) {
          if (signal.aborted) throw error
        }
      }
    })
  })

  it('refuses an address that failed maxFailedProofs times, and no other', async () => {
    const log = new CapturedLog()
    const listener = await listen('server', log, { maxFailedProofs: 3 })
    cleanups.push(() => listener.close())
    const port = portOf(listener)
    for (let n = 0; n < 3; n++) {
      const socket = await socketFrom(port, '127.0.0.3')
      const guess = await handshakeByHand(socket, { cookie: `a-wrong-guess-number-${n}` }).catch(
        (e: unknown) => e,
      )
      expect(guess).toBeInstanceOf(HandshakeError)
      expect((guess as HandshakeError).reason).toBe('cookie-mismatch')
      await socketClosed(socket, 5_000)
    }
    // The fourth guess, even with the right cookie, is closed before any handshake.
    const fourth = await socketFrom(port, '127.0.0.3')
    await socketClosed(fourth, 2_000)
    const lines = refusalLines(log, 'failed-proofs')
    expect(lines).toHaveLength(1)
    expect(lines[0]?.msg).toContain(
      '127.0.0.3 failed to prove the cookie 3 times within 60000 ms (maxFailedProofs)',
    )
    await stillServes(listener, log)
  })

  it.each([false, true])(
    'frees the place of a connection once its handshake is done (tls: %s): with maxHandshakes 1, three stay connected',
    async (secure) => {
      if (secure && !hasOpenssl) return
      const dir = mkdtempSync(join(tmpdir(), 'troupe-strangers-'))
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
      const pki = secure ? makePki(dir, 'troupe') : undefined
      const tls = (cn: string) => (pki === undefined ? {} : { tls: { ...pki.issue(cn), ca: pki.ca } })
      const log = new CapturedLog()
      const listener = await listen('server', log, {
        maxHandshakes: 1,
        maxHandshakesPerAddress: 1,
        ...tls('server'),
      })
      cleanups.push(() => listener.close())
      const client = tls('client')
      for (let n = 0; n < 3; n++) {
        const connection = await connect(listener, 'client', log, client)
        cleanups.push(() => connection[Symbol.asyncDispose]())
        expect(connection.peer.node).toBe('server')
      }
      expect(log.lines.filter((line) => line.msg.includes('before its handshake'))).toEqual([])
    },
  )

  it('checks its limits as options', async () => {
    const log = new CapturedLog()
    for (const [name, value] of [
      ['maxHandshakes', 0],
      ['maxHandshakesPerAddress', 1.5],
      ['maxFailedProofs', -1],
      ['failedProofWindowMs', 'soon'],
      ['refusalLogIntervalMs', Number.NaN],
    ] as const) {
      await expect(listen('server', log, { [name]: value })).rejects.toThrow(`invalid option '${name}'`)
    }
  })
})

describe.skipIf(process.platform !== 'linux')('a node with 1,024 file descriptors', () => {
  it('holds 2,000 idle connections from one address, still answers an honest node, and logs a few lines', async () => {
    const node = `target@127.0.0.1:${await freePort()}`
    const child: ChildProcess = spawn(
      'prlimit',
      [
        '--nofile=1024:1024',
        process.execPath,
        '--import',
        'tsx',
        '--conditions=source',
        'test/fixtures/stranger-node.ts',
        node,
        COOKIE,
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    })
    let out = ''
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
    })
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
    })
    await failAfter(15_000, async (signal) => {
      while (!out.includes('ready')) {
        if (child.exitCode !== null) throw new Error(`the node exited: ${out}`)
        await new Promise((resolve) => {
          child.stdout!.once('data', resolve)
          signal.addEventListener('abort', resolve, { once: true })
        })
        signal.throwIfAborted()
      }
    })
    expect(out).toContain('ready nofile=1024')
    const port = Number(node.slice(node.lastIndexOf(':') + 1))

    const sockets: net.Socket[] = []
    cleanups.push(() => {
      for (const socket of sockets) socket.destroy()
    })
    await Promise.all(
      Array.from({ length: 2_000 }, async () => {
        const socket = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' })
        socket.on('error', () => {})
        sockets.push(socket)
        await new Promise<void>((resolve) => {
          socket.once('connect', () => resolve())
          socket.once('error', () => resolve())
        })
      }),
    )

    const honest: ActorSystem = await start({
      node: `honest@127.0.0.1:${await freePort()}`,
      cookie: COOKIE,
      logLevel: 'silent',
    })
    cleanups.push(() => honest.shutdown())
    const echo = honest.refOf<string>(`troupe://${node}/user/echo`)
    expect(await failAfter(5_000, () => echo.ask('hello'))).toBe('hello')

    const lines = out.split('\n').filter((line) => line.startsWith('{'))
    expect(lines.length).toBeLessThan(40)
    expect(lines.some((line) => line.includes('maxHandshakesPerAddress'))).toBe(true)
  }, 30_000)
})
