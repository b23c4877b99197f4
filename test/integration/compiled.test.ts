import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type NodeRun, root, runTypeScript } from '../support/run-node.ts'

let out = ''
let run: NodeRun

beforeAll(async () => {
  // Compiled inside the project, so that the compiled files find its dependencies.
  out = mkdtempSync(join(root, 'node_modules', '.troupe-compiled-'))
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', out], {
    cwd: root,
  })
  run = await runTypeScript([join(root, 'test/fixtures/compiled-app/main.mjs')], {
    timeoutMs: 30_000,
    plain: true,
    env: { ...process.env, TROUPE_DIST: pathToFileURL(join(out, 'index.js')).href },
  })
}, 120_000)

afterAll(() => {
  if (out !== '') rmSync(out, { recursive: true, force: true })
})

describe('Troupe compiled to JavaScript', () => {
  it('starts child nodes that load plain JavaScript modules, without tsx', () => {
    expect(run.code, run.stderr).toBe(0)
    const [inProcess, inThread, parent, tsx, greeting] = run.stdout.trim().split('\n')
    const parentPid = parent?.replace('parent ', '')
    expect(inProcess).toMatch(/^in-process in \d+ \(tsx: false\)$/)
    expect(inProcess).not.toContain(`in ${parentPid} `)
    expect(inThread).toBe(`in-thread in ${parentPid} (tsx: false)`)
    expect(tsx).toBe('tsx loaded: false')
    expect(greeting).toBe('hello you')
  })

  it('a parent that shuts down at once, while its child actors start and register, leaves stderr empty', () => {
    expect(run.stderr).toBe('')
  })
})
