import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Real `nats-server` processes for tests (Debian's package, installed by `.ci/run`): one server,
 * or a cluster of servers with routes on loopback, each with JetStream in a temporary folder.
 * Every server a test starts must be stopped in its cleanup (`stop()`), even when the test fails.
 */

/** Whether `nats-server` is on the PATH, and its version (for skip messages). */
export function natsServerVersion(): string | undefined {
  try {
    return execFileSync('nats-server', ['--version'], { encoding: 'utf8' }).trim()
  } catch {
    return undefined
  }
}

/** A free TCP port on 127.0.0.1, for a server whose ports must be known before it starts (routes). */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/**
 * Where a server runs: the address it listens on, and how its command is run (`Namespace.exec` of
 * netns.ts runs it in a network namespace). @default 127.0.0.1, run directly
 */
export interface NatsPlace {
  host: string
  exec?: (command: string, ...args: string[]) => [string, string[]]
}

/** One running `nats-server`. */
export interface NatsServer {
  /** `nats://HOST:PORT` (HOST is 127.0.0.1 unless the server was placed elsewhere). */
  readonly url: string
  readonly port: number
  /** The server's name (`n1`, …), as JetStream and the logs name it. */
  readonly name: string
  /** The process, while it runs (undefined between `kill()` and `restart()`). */
  readonly process: ChildProcess | undefined
  /** What the server printed (its log goes to stderr). */
  output(): string
  /**
   * Resolves when the server's log (all of it, from its first start) holds `text`, or satisfies
   * the predicate; rejects at the deadline.
   */
  waitFor(text: LogMatch, timeoutMs?: number): Promise<void>
  /** SIGKILLs the server (a crash) and waits for it to exit; its ports and store stay for `restart()`. */
  kill(): Promise<void>
  /** Starts the server again on the same ports and store, and waits until it is ready. */
  restart(): Promise<void>
  /** Stops the server (SIGKILL, it holds nothing worth a graceful end) and removes its store. */
  stop(): Promise<void>
}

/** What a wait on a server's log looks for. */
export type LogMatch = string | RegExp | ((log: string) => boolean)

/** Options of {@link startNatsServer}. */
export interface NatsServerOptions {
  /** @default a free port */
  port?: number
  /** @default 'n1' */
  name?: string
  /** Enable JetStream (KV). @default true */
  jetstream?: boolean
  /** Cluster this server with others: its own route port and the route URLs of the others. */
  cluster?: { name: string; port: number; routes: readonly string[] }
  /** More command-line arguments (`--user`, `--auth`, `--tls…`). */
  args?: readonly string[]
  /** @default 10000 */
  readyTimeoutMs?: number
  /** Where it runs. @default 127.0.0.1, in this namespace */
  place?: NatsPlace
}

/** Starts one `nats-server` (on 127.0.0.1 unless placed elsewhere) and resolves once it accepts clients. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const port = options.port ?? (await freePort())
  const name = options.name ?? 'n1'
  const host = options.place?.host ?? '127.0.0.1'
  const store = mkdtempSync(join(tmpdir(), `troupe-nats-${name}-`))
  const args = ['-a', host, '-p', String(port), '-n', name]
  if (options.jetstream !== false) args.push('-js', '-sd', store)
  if (options.cluster !== undefined) {
    const { cluster } = options
    args.push('--cluster_name', cluster.name, '--cluster', `nats://${host}:${cluster.port}`)
    if (cluster.routes.length > 0) args.push('--routes', cluster.routes.join(','))
  }
  args.push(...(options.args ?? []))
  let child: ChildProcess | undefined
  let log = ''
  let exited: Promise<void> = Promise.resolve()
  const waiters = new Set<() => void>()

  const launch = async () => {
    const [command, argv] = options.place?.exec?.('nats-server', ...args) ?? ['nats-server', args]
    const started = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] })
    child = started
    exited = new Promise((resolve) => started.once('exit', () => resolve()))
    const take = (chunk: string) => {
      log += chunk
      for (const waiter of waiters) waiter()
    }
    started.stdout?.setEncoding('utf8').on('data', take)
    started.stderr?.setEncoding('utf8').on('data', take)
    const from = log.length
    await waitInLog('Server is ready', options.readyTimeoutMs ?? 10_000, from)
  }

  const waitInLog = (text: LogMatch, timeoutMs: number, from = 0) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        const seen = log.slice(from)
        const found =
          typeof text === 'string'
            ? seen.includes(text)
            : typeof text === 'function'
              ? text(seen)
              : text.test(seen)
        if (found) done()
      }
      const timer = setTimeout(
        () =>
          done(new Error(`nats-server ${name} printed no ${String(text)} within ${timeoutMs} ms:\n${log}`)),
        timeoutMs,
      )
      const done = (error?: Error) => {
        clearTimeout(timer)
        waiters.delete(check)
        if (error === undefined) resolve()
        else reject(error)
      }
      waiters.add(check)
      check()
    })

  const kill = async () => {
    const running = child
    child = undefined
    if (running !== undefined && running.exitCode === null && running.signalCode === null) {
      running.kill('SIGCONT')
      running.kill('SIGKILL')
    }
    await exited
  }

  try {
    await launch()
  } catch (error) {
    await kill()
    rmSync(store, { recursive: true, force: true })
    throw error
  }
  return {
    url: `nats://${host}:${port}`,
    port,
    name,
    get process() {
      return child
    },
    output: () => log,
    waitFor: (text, timeoutMs = 10_000) => waitInLog(text, timeoutMs),
    kill,
    async restart() {
      await kill()
      await launch()
    },
    async stop() {
      await kill()
      rmSync(store, { recursive: true, force: true })
    },
  }
}

/** A cluster of `nats-server`s with routes to each other on loopback. */
export interface NatsCluster {
  readonly servers: readonly NatsServer[]
  /** The client URLs of every server. */
  readonly urls: readonly string[]
  /** Stops every server. */
  stop(): Promise<void>
}

/**
 * Starts `size` servers (`n1`…) routed to each other, with clustered JetStream, and resolves once
 * the routes are up and JetStream has a metadata leader (KV buckets can be made). `places` puts
 * server i at `places[i]` (another address, another network namespace); by default all are on
 * 127.0.0.1.
 */
export async function startNatsCluster(size = 3, options: NatsClusterOptions = {}): Promise<NatsCluster> {
  // nats-server 2.9 sometimes never elects a first JetStream metadata leader when the servers start
  // together (its log shows routes up, then nothing: nats-server#5065 has the same symptom). A
  // cluster with no leader after LEADER_WAIT_MS is stopped and made again from empty stores.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startClusterOnce(size, options)
    } catch (error) {
      if (!(error instanceof NoMetaLeaderError) || attempt === CLUSTER_ATTEMPTS) throw error
      console.warn(`nats cluster: no JetStream metadata leader (attempt ${attempt}); starting it again`)
    }
  }
}

interface NatsClusterOptions {
  jetstream?: boolean
  name?: string
  places?: readonly NatsPlace[]
}

const CLUSTER_ATTEMPTS = 3
/** A first election takes well under a second when it happens; under a loaded run, a few. */
const LEADER_WAIT_MS = 12_000

class NoMetaLeaderError extends Error {}

async function startClusterOnce(size: number, options: NatsClusterOptions): Promise<NatsCluster> {
  const clientPorts = await Promise.all(Array.from({ length: size }, () => freePort()))
  const routePorts = await Promise.all(Array.from({ length: size }, () => freePort()))
  const hostOf = (i: number) => options.places?.[i]?.host ?? '127.0.0.1'
  const routes = routePorts.map((port, i) => `nats://${hostOf(i)}:${port}`)
  const servers: NatsServer[] = []
  const stop = async () => {
    await Promise.all(servers.map((server) => server.stop()))
  }
  try {
    const started = await Promise.allSettled(
      clientPorts.map((port, i) =>
        startNatsServer({
          port,
          name: `n${i + 1}`,
          ...(options.places?.[i] === undefined ? {} : { place: options.places[i] }),
          ...(options.jetstream === undefined ? {} : { jetstream: options.jetstream }),
          cluster: {
            name: options.name ?? 'troupe-test',
            port: routePorts[i]!,
            routes: routes.filter((_, j) => j !== i),
          },
        }),
      ),
    )
    for (const result of started) if (result.status === 'fulfilled') servers.push(result.value)
    const failed = started.find((result) => result.status === 'rejected')
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
    // Each server has a route to each other one, and (with JetStream) a metadata leader is known.
    await Promise.all(
      servers.map(async (server) => {
        await waitForCount(server, /Route connection created/g, size - 1)
        if (options.jetstream !== false)
          await server
            .waitFor(
              /JetStream cluster new metadata leader|Self is new JetStream cluster metadata leader/,
              LEADER_WAIT_MS,
            )
            .catch((error: unknown) => {
              throw new NoMetaLeaderError(String(error))
            })
      }),
    )
  } catch (error) {
    await stop()
    throw error
  }
  return { servers, urls: servers.map((server) => server.url), stop }
}

function waitForCount(server: NatsServer, pattern: RegExp, count: number): Promise<void> {
  return server.waitFor((log) => (log.match(pattern)?.length ?? 0) >= count, 10_000)
}
