#!/usr/bin/env node
/**
 * The `troupe` command, in this one process. The CLI and the actor modules it loads are TypeScript
 * that import `troupe`, which resolves to the sources only under the `source` export condition:
 * unless node runs with tsx and `--conditions=source` already, this registers tsx and a resolve
 * hook that adds the condition, then runs the CLI. Killing this process ends the node at once.
 * A copy installed in a project runs the compiled CLI instead, with plain node (and tsx only to
 * load a TypeScript module it is given).
 */
import { existsSync, readFileSync } from 'node:fs'
import { register } from 'node:module'
import { sep } from 'node:path'
import { fileURLToPath } from 'node:url'

// First of all, before any of them can have gone: the processes that started this one.
const ancestry = recordAncestry()

/**
 * This process's parent, and each process above it up to the first child of pid 1 (Linux, from
 * /proc: pid, parent and start time), so that `run` and `registry` can exit when one is gone.
 */
function recordAncestry() {
  if (process.platform !== 'linux') return { parent: process.ppid, ancestors: [] }
  const stat = (pid) => {
    try {
      const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
      return { ppid: Number(fields[1]), start: fields[19] }
    } catch {
      return undefined
    }
  }
  const parent = stat('self')?.ppid ?? process.ppid
  const ancestors = []
  for (let pid = parent; pid > 1 && ancestors.length < 64; ) {
    const info = stat(pid)
    if (info === undefined) break
    ancestors.push({ pid, ppid: info.ppid, start: info.start })
    pid = info.ppid
  }
  return { parent, ancestors }
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

/** Whether node runs with tsx and the `source` condition already (from its flags or NODE_OPTIONS). */
function runsSources() {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean)]
  const source = valuesOf(flags, '--conditions', '-C').includes('source')
  const tsx = [...valuesOf(flags, '--import'), ...valuesOf(flags, '--loader')].some((value) =>
    /(^|[/\\])tsx([/\\]|$)|^tsx$/.test(value),
  )
  return source && tsx
}

const addSourceCondition = `export function resolve(specifier, context, next) {
  const conditions = context.conditions.includes('source') ? context.conditions : [...context.conditions, 'source']
  return next(specifier, { ...context, conditions })
}`

/**
 * Whether this is a copy of the package installed in a project (under node_modules) and built
 * (`prepare`): it runs its compiled CLI with plain node. A checkout runs its sources.
 */
function isInstalledBuild() {
  const here = fileURLToPath(import.meta.url)
  const built = existsSync(fileURLToPath(new URL('../dist/cli/main.js', import.meta.url)))
  return built && here.split(sep).includes('node_modules')
}

/** Whether the command line names a TypeScript module (`troupe run actors.ts#Counter`): tsx loads it. */
function namesTypeScript(args) {
  return args.some((arg) => /\.[cm]?tsx?(#[^/\\]*)?$/.test(arg))
}

const installed = isInstalledBuild()
if (installed) {
  if (namesTypeScript(process.argv.slice(2))) await import('tsx')
} else if (!runsSources()) {
  await import('tsx')
  register(`data:text/javascript,${encodeURIComponent(addSourceCondition)}`)
}
const { watchAncestors } = await import(
  installed ? '../dist/transport/process/index.js' : '../src/transport/process/index.ts'
)
const { main } = await import(installed ? '../dist/cli/main.js' : '../src/cli/main.ts')
process.exit(
  await main(process.argv.slice(2), {
    watchParents: async (onGone) => {
      const watch = await watchAncestors(ancestry.parent, ancestry.ancestors)
      const stopListening = watch.onGone(onGone)
      return () => {
        stopListening()
        watch.stop()
      }
    },
  }),
)
