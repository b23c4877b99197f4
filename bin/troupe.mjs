#!/usr/bin/env node
/**
 * The `troupe` command. The CLI and the actor modules it loads are TypeScript that import
 * `troupe`, which resolves to the sources only under node's `--conditions=source`; so unless this
 * process already runs with that condition and tsx, it runs itself again with them, passing stdio
 * through, forwarding signals and exiting with the child's code.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const REEXEC = 'TROUPE_CLI_REEXEC'

/** The node flags of this process, from its command line and NODE_OPTIONS. */
function nodeFlags() {
  const fromEnv = (process.env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean)
  return [...process.execArgv, ...fromEnv]
}

/** The values given to a node flag, in `--flag value` and `--flag=value` forms (and a short alias). */
function valuesOf(flags, long, short) {
  const values = []
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i]
    if (flag === long || flag === short) values.push(flags[i + 1] ?? '')
    else if (flag.startsWith(`${long}=`)) values.push(flag.slice(long.length + 1))
    else if (short !== undefined && flag.startsWith(`${short}=`)) values.push(flag.slice(short.length + 1))
  }
  return values
}

function isReady() {
  const flags = nodeFlags()
  const source = valuesOf(flags, '--conditions', '-C').includes('source')
  const tsx = [...valuesOf(flags, '--import'), ...valuesOf(flags, '--loader')].some((value) =>
    /(^|[/\\])tsx([/\\]|$)|^tsx$/.test(value),
  )
  return source && tsx
}

if (isReady() || process.env[REEXEC] === '1') {
  if (process.env[REEXEC] === '1' && process.channel !== undefined) {
    // Started by the launcher below: when it dies (even by SIGKILL) the channel closes, and this
    // process stops its node and exits rather than live on as an orphan.
    process.channel.unref()
    process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'))
  }
  const { main } = await import('../src/cli/main.ts')
  process.exit(await main(process.argv.slice(2)))
} else {
  const child = spawn(
    process.execPath,
    [
      ...process.execArgv,
      '--conditions=source',
      '--import',
      import.meta.resolve('tsx'),
      fileURLToPath(import.meta.url),
      ...process.argv.slice(2),
    ],
    { stdio: ['inherit', 'inherit', 'inherit', 'ipc'], env: { ...process.env, [REEXEC]: '1' } },
  )
  const forward = (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, forward)
  child.once('error', (error) => {
    process.stderr.write(`troupe: cannot start node: ${error.message}\n`)
    process.exit(1)
  })
  child.once('exit', (code, signal) => {
    if (signal !== null) {
      // Die of the same signal, so that whoever started us sees what happened to the child.
      for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.off(name, forward)
      process.kill(process.pid, signal)
      return
    }
    process.exit(code ?? 1)
  })
}
