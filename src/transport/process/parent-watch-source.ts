// The parent watch as JavaScript source, because it must run before anything can load TypeScript:
// a forked child imports it first thing (`--import` of a data URL, before tsx), so that a child
// still loading its modules, or stuck in a synchronous loop, exits when its parent is gone.
//
// The watch is a worker thread with an event loop of its own, which keeps running while the main
// thread spins (Node has no PR_SET_PDEATHSIG). Every `intervalMs` it checks that this process still
// has the parent it started with, and that each recorded ancestor still runs with the same start
// time and parent (on Linux, from /proc; elsewhere by `process.kill(pid, 0)`). When one is gone it
// tells the main thread, which exits gracefully if it can (its listeners, or `process.exit()`), and
// `graceMs` later it SIGKILLs every process below this one (on Linux) and the process itself.

/** The environment variable that hands a forked child its watch settings (JSON of `WatchConfig`). */
export const PARENT_WATCH_ENV = 'TROUPE_PARENT_WATCH'

/** The key of the watch's API on `globalThis` (shared by every copy of Troupe in the process). */
export const PARENT_WATCH_KEY = 'troupe.parent-watch'

/** The worker: a CommonJS script (`eval: true`), configured by its `workerData` (a `WatchConfig`). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { readFileSync, readdirSync } = require('node:fs')
const { parent, ancestors, intervalMs, graceMs } = workerData
const linux = process.platform === 'linux'

function stat(pid) {
  try {
    const text = readFileSync('/proc/' + pid + '/stat', 'utf8')
    // "pid (command) state ppid ...": the command may hold spaces and parentheses.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
    return { state: fields[0], ppid: Number(fields[1]), start: fields[19] }
  } catch {
    return undefined
  }
}

function exists(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return error.code === 'EPERM'
  }
}

function lost() {
  if (!linux) {
    if (!exists(parent)) return 'the parent process ' + parent + ' is gone'
    for (const ancestor of ancestors)
      if (!exists(ancestor.pid)) return 'process ' + ancestor.pid + ' (which started this one) is gone'
    return undefined
  }
  const self = stat('self')
  if (self !== undefined && self.ppid !== parent) return 'the parent process ' + parent + ' is gone'
  for (const ancestor of ancestors) {
    const now = stat(ancestor.pid)
    if (now === undefined || now.state === 'Z' || now.state === 'X' || now.start !== ancestor.start)
      return 'process ' + ancestor.pid + ' (which started this one) is gone'
    if (now.ppid !== ancestor.ppid)
      return 'process ' + ancestor.pid + ' (which started this one) lost its own parent ' + ancestor.ppid
  }
  return undefined
}

// Every process below this one, read from /proc at once: they are all killed, at once, so that a
// deep tree does not wait for each level's own watch in turn.
function descendants() {
  const childrenOf = new Map()
  for (const name of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue
    const info = stat(name)
    if (info === undefined) continue
    const siblings = childrenOf.get(info.ppid) ?? []
    siblings.push(Number(name))
    childrenOf.set(info.ppid, siblings)
  }
  const found = []
  const next = [process.pid]
  while (next.length > 0) {
    for (const pid of childrenOf.get(next.pop()) ?? []) {
      found.push(pid)
      next.push(pid)
    }
  }
  return found
}

function kill() {
  if (linux) {
    for (const pid of descendants()) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {}
    }
  }
  process.kill(process.pid, 'SIGKILL')
}

function check() {
  const why = lost()
  if (why === undefined) return
  clearInterval(timer)
  parentPort.postMessage({ gone: why })
  setTimeout(kill, graceMs)
}

const timer = setInterval(check, intervalMs)
check()
`

/**
 * The main thread's side, an ES module: it defines the watch's API on `globalThis` (once per
 * process), and starts a watch from the environment variable when it is set (then removes it, so
 * that processes this one starts do not inherit it).
 */
const BOOTSTRAP_SOURCE = `
import { Worker } from 'node:worker_threads'
const key = Symbol.for(${JSON.stringify(PARENT_WATCH_KEY)})
const workerSource = ${JSON.stringify(WORKER_SOURCE)}

function watch(config) {
  const listeners = new Set()
  let gone
  const worker = new Worker(workerSource, {
    eval: true,
    workerData: config,
    resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 1 },
  })
  worker.unref()
  worker.on('error', () => {})
  worker.on('message', (message) => {
    gone = message.gone
    // No one to end this process gracefully yet (its modules are still loading): end it now.
    if (listeners.size === 0) process.exit(1)
    for (const listener of [...listeners]) listener(gone)
  })
  const handle = {
    config,
    onGone(listener) {
      listeners.add(listener)
      if (gone !== undefined) queueMicrotask(() => listener(gone))
      return () => listeners.delete(listener)
    },
    stop() {
      void worker.terminate()
      if (api.current === handle) api.current = undefined
    },
  }
  return handle
}

const api = (globalThis[key] ??= { watch, current: undefined })
const settings = process.env[${JSON.stringify(PARENT_WATCH_ENV)}]
if (settings !== undefined) {
  delete process.env[${JSON.stringify(PARENT_WATCH_ENV)}]
  api.current ??= api.watch(JSON.parse(settings))
}
`

/** The bootstrap as a data URL, for `--import` and `import()`. */
export const PARENT_WATCH_BOOTSTRAP_URL = `data:text/javascript,${encodeURIComponent(BOOTSTRAP_SOURCE)}`
