import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { failAfter } from 'troupe'
import { freePort } from 'troupe/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { connectTcp } from '../../../src/transport/index.ts'
import { createConnectionCodec } from '../../../src/wire/connection-codec.ts'

// A peer's text reaches a node's log (here the name of a behaviour it asks to spawn, which the
// node refuses and logs): the node's default logger, the one the CLI uses, must write it with its
// control characters escaped, so that the peer can neither colour the terminal nor fake a line.

const cookie = 'log-escaping-cookie'
const root = fileURLToPath(new URL('../../..', import.meta.url))
const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  await Promise.allSettled(cleanups.splice(0).map((f) => f()))
})

const hostile = 'x\u001b[31m\n12:00:00.000 ERROR fake line\u009b2J\u007f'

/** A node in a process of its own with the default logger in `format`; resolves once it listens. */
async function victim(
  format: 'pretty' | 'json',
): Promise<{ port: number; output: () => string; logged: (text: string) => Promise<void> }> {
  const port = await freePort()
  const program = [
    "import { start } from 'troupe'",
    `await start({ node: 'victim@127.0.0.1:${port}', cookie: ${JSON.stringify(cookie)}, logLevel: 'warn' })`,
    "process.stdout.write('ready\\n')",
  ].join('\n')
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=source', '--input-type=module', '--eval', program],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TROUPE_LOG_FORMAT: format, NO_COLOR: '1', FORCE_COLOR: undefined },
    },
  )
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  cleanups.push(async () => {
    child.kill('SIGKILL')
    await exited
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  await failAfter(15_000, () => until(() => stdout.includes('ready'), child))
  return {
    port,
    output: () => stderr,
    logged: (text) => failAfter(10_000, () => until(() => stderr.includes(text), child)),
  }
}

/** Resolves once `condition` holds, checked as the child writes; rejects if it exits first. */
function until(condition: () => boolean, child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!condition()) return
      child.stdout?.off('data', check)
      child.stderr?.off('data', check)
      resolve()
    }
    child.stdout?.on('data', check)
    child.stderr?.on('data', check)
    child.once('exit', () => reject(new Error('the node exited')))
    check()
  })
}

/** An authenticated peer asks the victim to spawn a behaviour named `behavior`. */
async function askToSpawn(port: number, behavior: string): Promise<void> {
  const connection = await connectTcp({
    host: '127.0.0.1',
    port,
    node: `peer-${randomUUID().slice(0, 8)}@127.0.0.1:1`,
    incarnation: randomUUID(),
    cookie,
  })
  cleanups.push(async () => connection.close())
  const codec = createConnectionCodec({ resolveRef: (address) => address as never })
  connection.onFrame(() => {})
  connection.send(codec.encoder.encodeEnvelope({ kind: 'spawn', id: 1, behavior }))
}

describe('peer-supplied text in a node’s log', () => {
  it('has its control characters escaped in pretty lines, and stays on its line', async () => {
    const node = await victim('pretty')
    await askToSpawn(node.port, hostile)
    await node.logged('fake line')
    const output = node.output()
    const line = output.split('\n').find((l) => l.includes('refused to spawn'))
    expect(line).toBeDefined()
    expect(line).toContain(String.raw`x\x1b[31m\n12:00:00.000 ERROR fake line\x9b2J\x7f`)
    expect(output).not.toContain('\u001b')
    expect(output).not.toMatch(/\n12:00:00\.000 ERROR fake/)
    expect(output.replaceAll('\n', '')).not.toMatch(/\p{Cc}/u)
  })

  it('has its control characters escaped in JSON lines, which read back as the text sent', async () => {
    const node = await victim('json')
    await askToSpawn(node.port, hostile)
    await node.logged('fake line')
    const output = node.output()
    expect(output.replaceAll('\n', '')).not.toMatch(/\p{Cc}/u)
    const lines = output
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string })
    expect(lines.some((l) => l.msg.includes(hostile))).toBe(true)
  })
})
