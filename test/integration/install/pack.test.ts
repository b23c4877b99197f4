import { execFile } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { freePort } from 'troupe/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { root } from '../../support/run-node.ts'
import { cookieFolder, killAll, troupe, troupeRun } from '../cli/support.ts'

const run = promisify(execFile)
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const app = join(import.meta.dirname, 'app')

/** The environment of a user's shell: no tsx, no source condition, no log settings of ours. */
function plainEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const key of ['NODE_OPTIONS', 'TROUPE_LOG_LEVEL', 'TROUPE_LOG_FORMAT', 'TROUPE_COOKIE', 'VITEST'])
    delete env[key]
  return env
}

let work = ''
let project = ''
let tarball = ''
const folder = cookieFolder()

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'troupe-install-'))
  // The package as a clone of this tree would pack it, without writing dist/ into the tree: its
  // files beside this tree's node_modules (which has the TypeScript that `prepare` runs).
  const stage = join(work, 'troupe')
  const { stdout: listed } = await run(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {
      cwd: root,
      maxBuffer: 16 * 1024 * 1024,
    },
  )
  for (const file of listed.split('\0').filter((name) => name !== '' && existsSync(join(root, name)))) {
    mkdirSync(dirname(join(stage, file)), { recursive: true })
    cpSync(join(root, file), join(stage, file))
  }
  symlinkSync(join(root, 'node_modules'), join(stage, 'node_modules'), 'dir')
  const { stdout: packed } = await run(npm, ['pack', '--json', '--pack-destination', work], {
    cwd: stage,
    env: plainEnv(),
    maxBuffer: 16 * 1024 * 1024,
  })
  tarball = join(work, (JSON.parse(packed) as { filename: string }[])[0]!.filename)

  project = join(work, 'app')
  cpSync(app, project, { recursive: true })
  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify(
      {
        name: 'an-app',
        version: '1.0.0',
        private: true,
        type: 'module',
        dependencies: { troupe: `file:${tarball}` },
        // What the README says to add. The prebuilt binaries work without these scripts, and the
        // package was built when it was packed: npm need not ask.
        allowScripts: { [`file:${tarball}`]: false, esbuild: false, 'msgpackr-extract': false },
      },
      null,
      2,
    )}\n`,
  )
  // From npm's cache where it can: the packages this project's own install fetched.
  const install = await run(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd: project,
    env: plainEnv(),
  })
  // @nats-io/nuid 3 (under the NATS client) declares node >= 22 and works on 20: its engine
  // warning is allowed. So is npm's note that zeromq has an install script it did not run:
  // zeromq ships prebuilt binaries, which work without it. Any other warning is a defect.
  const warnings = install.stderr
    .split('\n')
    .filter((line) => /warn/i.test(line) && !/EBADENGINE/.test(line) && !/install-scripts/.test(line))
  expect(warnings, 'npm install asked for nothing').toEqual([])
}, 180_000)

afterAll(async () => {
  await killAll()
  folder.remove()
  if (work !== '') rmSync(work, { recursive: true, force: true })
})

describe('Troupe installed from its package into another project', () => {
  it('packs the compiled code, the sources and the bin, and no tests', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball])
    const files = stdout.split('\n')
    for (const file of [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/testkit/index.js',
      'dist/cli/main.js',
      'bin/troupe.mjs',
    ])
      expect(files).toContain(`package/${file}`)
    expect(files.some((file) => file.startsWith('package/test/'))).toBe(false)
  })

  it('runs a plain JavaScript program whose actor runs in a child process, with plain node, and loads TypeScript only where asked', async () => {
    const result = await run(process.execPath, ['main.mjs'], {
      cwd: project,
      env: plainEnv(),
      timeout: 30_000,
    })
    // Nothing logged: not even a child that was still registering its actor as its parent went.
    expect(result.stderr).toBe('')
    const [greeting, parent, port, pooled] = result.stdout.trim().split('\n')
    const parentPid = parent?.replace('parent ', '')
    expect(greeting).toMatch(/^hello npm from process \d+ \(tsx: false\)$/)
    expect(greeting).not.toContain(`process ${parentPid} `)
    expect(port).toBe('free port: number')
    // The pool's children run without tsx: for a TypeScript module, take() starts one with it.
    expect(pooled).toBe('pooled child loaded greeter.ts: process')
  })

  it('runs a TypeScript program with the installed tsx: an actor in a child process and a function in a thread load TypeScript', async () => {
    const tsx = join(project, 'node_modules', '.bin', 'tsx')
    const result = await run(process.execPath, [tsx, 'app.ts'], {
      cwd: project,
      env: plainEnv(),
      timeout: 60_000,
    })
    expect(result.stderr).toBe('')
    const [greeting, inThread, parent] = result.stdout.trim().split('\n')
    const parentPid = parent?.replace('parent ', '')
    expect(greeting).toMatch(/^hello tsx from greeter\.actor in process \d+, thread 0$/)
    expect(greeting).not.toContain(`process ${parentPid},`)
    expect(inThread).toMatch(new RegExp(`^in-thread in process ${parentPid}, thread [1-9]\\d*$`))
  })

  it('a child node that must load TypeScript, in a project without tsx, fails with an error that names the module and says to install tsx', async () => {
    const installed = join(project, 'node_modules')
    renameSync(join(installed, 'tsx'), join(installed, 'tsx.aside'))
    try {
      const result = await run(process.execPath, ['no-tsx.mjs'], {
        cwd: project,
        env: plainEnv(),
        timeout: 30_000,
      })
      expect(result.stderr).toBe('')
      const module = pathToFileURL(join(project, 'greeter.ts')).href
      const lines = result.stdout.trim().split('\n')
      expect(lines).toHaveLength(2)
      for (const [line, place] of lines.map((line, i) => [line, ['process', 'thread'][i]] as const)) {
        expect(line).toContain(
          `${place}: TsxNotFoundError: invalid option 'modules': ${module} is TypeScript`,
        )
        expect(line).toMatch(/install it in your project \(npm install tsx\)$/)
      }
    } finally {
      renameSync(join(installed, 'tsx.aside'), join(installed, 'tsx'))
    }
  })

  it('runs the troupe bin with plain node, needing neither tsx nor the sources', async () => {
    const installed = join(project, 'node_modules')
    const bin = join(installed, 'troupe', 'bin', 'troupe.mjs')
    const aside = (name: string) => renameSync(join(installed, name), join(installed, `${name}.aside`))
    const back = (name: string) => renameSync(join(installed, `${name}.aside`), join(installed, name))
    aside('tsx')
    aside('troupe/src')
    try {
      const help = await troupeRun(['--help'], { bin, cwd: project })
      expect(help.code, help.stderr).toBe(0)
      expect(help.stdout).toContain('Usage: troupe [options] [command]')
      const version = await troupeRun(['--version'], { bin, cwd: project })
      expect(version.stdout).toBe('0.1.0\n')
    } finally {
      back('tsx')
      back('troupe/src')
    }
  })

  it("runs a user's TypeScript module with troupe run, and troupe send asks it", async () => {
    const bin = join(project, 'node_modules', 'troupe', 'bin', 'troupe.mjs')
    const cookie = ['--cookie-file', folder.cookie]
    const node = `greeter@127.0.0.1:${await freePort()}`
    const address = `troupe://${node}/user/greeter`
    const greeter = troupe(['run', 'greeter.ts#Greeter', '--node', node, '--name', 'greeter', ...cookie], {
      bin,
      cwd: project,
    })
    await greeter.waitFor(`greeter running at ${address}\n`, 30_000)
    const asked = await troupeRun(['send', address, '"npm"', '--ask', ...cookie], { bin, cwd: project })
    expect(asked.code, asked.stderr).toBe(0)
    expect(asked.stdout).toBe('"hello npm, from a TypeScript module"\n')
  })
})
