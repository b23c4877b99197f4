import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { afterEach, describe, expect, it } from 'vitest'
import { type Connection, connectTcp, HandshakeError } from '../../../src/transport/index.ts'
import { root } from '../../support/run-node.ts'
import { CapturedLog, COOKIE, within } from './support.ts'

let child: ChildProcess | undefined
afterEach(async () => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit')
    child.kill('SIGKILL')
    await exited
  }
  child = undefined
})

/** Starts the echo node in its own process; resolves with its port and a view of its stderr. */
async function startEchoNode(): Promise<{ port: number; stderr: () => string; stop: () => Promise<void> }> {
  const started = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=source', 'test/fixtures/transport-echo.ts'],
    {
      cwd: root,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, TROUPE_TEST_COOKIE: COOKIE },
    },
  )
  child = started
  let stderr = ''
  started.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  let stdout = ''
  const address = await within(
    new Promise<{ port: number }>((resolve, reject) => {
      started.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk
        const end = stdout.indexOf('\n')
        if (end >= 0) resolve(JSON.parse(stdout.slice(0, end)) as { port: number })
      })
      started.once('exit', (code) => reject(new Error(`the echo node exited with ${code}: ${stderr}`)))
    }),
    15_000,
    'the echo node to listen',
  )
  return {
    port: address.port,
    stderr: () => stderr,
    stop: async () => {
      const exited = once(started, 'exit')
      started.stdin!.end()
      const [code] = await within(exited, 5_000, 'the echo node to exit')
      expect(code).toBe(0)
    },
  }
}

describe('tcp transport across processes', () => {
  it('round-trips 10k frames in order with a node in another process, and refuses a wrong cookie there', async () => {
    const node = await startEchoNode()
    const log = new CapturedLog()
    let connection: Connection | undefined
    try {
      connection = await connectTcp({
        node: 'parent',
        incarnation: 'p-1',
        cookie: COOKIE,
        port: node.port,
        logger: log.logger,
      })
      expect(connection.peer.node).toBe('echo@child')
      expect(connection.peer.incarnation).toBe(`echo-${child!.pid}`)
      const count = 10_000
      const echoed = within(
        new Promise<number>((resolve, reject) => {
          let next = 0
          connection!.onFrame((body) => {
            const n = Buffer.from(body.buffer, body.byteOffset, body.length).readUInt32BE(0)
            if (n !== next) reject(new Error(`echo ${n} where ${next} was expected`))
            if (++next === count) resolve(next)
          })
        }),
        15_000,
        'the echoes',
      )
      const body = Buffer.alloc(32)
      for (let n = 0; n < count; n++) {
        body.writeUInt32BE(n, 0)
        connection.send(body)
      }
      expect(await echoed).toBe(count)

      const wrong = await connectTcp({
        node: 'intruder',
        incarnation: 'i-1',
        cookie: 'a-guessed-cookie-value',
        port: node.port,
        logger: log.logger,
      }).catch((error: unknown) => error)
      expect(wrong).toBeInstanceOf(HandshakeError)
      expect((wrong as HandshakeError).reason).toBe('cookie-mismatch')
      // The other process said why, in its own log.
      await within(
        (async () => {
          while (!node.stderr().includes('cookie mismatch')) await once(child!.stderr!, 'data')
        })(),
        5_000,
        "the echo node's log line",
      )
      expect(node.stderr()).toMatch(/refused connection from 127\.0\.0\.1:\d+: cookie mismatch/)
    } finally {
      connection?.close()
      await connection?.closed()
    }
    await node.stop()
  })
})
