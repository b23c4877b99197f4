import { type ChildProcess, spawn } from 'node:child_process'
import type { Namespace } from '../../support/netns.ts'
import { root } from '../../support/run-node.ts'

/** A line a partition node printed: its words, and the time it printed it (`Date.now()`). */
export interface NodeLine {
  readonly words: readonly string[]
  readonly at: number
}

/** A `partition-node.ts` process in a namespace, driven by commands on its stdin. */
export interface PartitionNode {
  readonly child: ChildProcess
  /** Sends one command (`claim svc`, `ask svc`, `stats`…). */
  send(command: string): void
  /** How many lines the node has printed: a place to look from. */
  mark(): number
  /**
   * The first line whose first words are `prefix`, printed from line `from` on (by default, from
   * now on), within `timeoutMs`.
   */
  next(prefix: string, timeoutMs?: number, from?: number): Promise<NodeLine>
  /** Sends `command` and waits for its reply, whose first word `reply` names. */
  ask(command: string, reply: string, timeoutMs?: number): Promise<NodeLine>
  output(): string
  kill(): Promise<void>
}

const FIXTURE = 'test/fixtures/partition-node.ts'

/** Starts a partition node in `ns` and waits for its `ready`; `env` is added to its environment. */
export async function startPartitionNode(
  ns: Namespace,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<PartitionNode> {
  const [command, argv] = ns.exec(
    process.execPath,
    '--expose-gc',
    '--import',
    'tsx',
    '--conditions=source',
    FIXTURE,
    ...args,
  )
  const child = spawn(command, argv, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let out = ''
  let pending = ''
  const lines: NodeLine[] = []
  const waiters = new Set<() => void>()
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk
  })
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk
    pending += chunk
    let end = pending.indexOf('\n')
    while (end >= 0) {
      const line = pending.slice(0, end)
      pending = pending.slice(end + 1)
      const match = /^(.*) @(\d+)$/.exec(line)
      const words = (match?.[1] ?? line).split(' ')
      lines.push({ words, at: match === null ? Date.now() : Number(match[2]) })
      end = pending.indexOf('\n')
    }
    for (const waiter of waiters) waiter()
  })
  const next = (prefix: string, timeoutMs = 10_000, from = lines.length) =>
    new Promise<NodeLine>((resolve, reject) => {
      const wanted = prefix.split(' ')
      let read = from
      const check = () => {
        while (read < lines.length) {
          const line = lines[read++]!
          if (wanted.every((word, i) => line.words[i] === word)) return done(undefined, line)
        }
      }
      const onExit = () => done(new Error(`the node exited before '${prefix}':\n${out}`))
      const timer = setTimeout(
        () => done(new Error(`no '${prefix}' within ${timeoutMs} ms:\n${out}`)),
        timeoutMs,
      )
      const done = (error: Error | undefined, line?: NodeLine) => {
        clearTimeout(timer)
        waiters.delete(check)
        child.off('exit', onExit)
        if (error === undefined) resolve(line!)
        else reject(error)
      }
      waiters.add(check)
      child.once('exit', onExit)
      check()
    })
  const node: PartitionNode = {
    child,
    send: (line) => child.stdin?.write(`${line}\n`),
    mark: () => lines.length,
    next,
    ask(command, reply, timeoutMs) {
      const from = lines.length
      node.send(command)
      return next(reply, timeoutMs, from)
    },
    output: () => out,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    },
  }
  try {
    await node.next('ready', 20_000, 0)
  } catch (error) {
    await node.kill()
    throw error
  }
  return node
}
