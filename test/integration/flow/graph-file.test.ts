import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GraphError, loadGraph } from 'troupe/flow'
import { freePort } from 'troupe/testkit'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { cookieFolder, killAll, troupe, troupeRun } from '../cli/support.ts'
import { testSystem } from './support.ts'

const folder = mkdtempSync(join(tmpdir(), 'troupe-graphs-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))
afterEach(killAll)

let files = 0
/** Writes a graph file (and the modules it names) into the test's folder. */
function graphFile(text: string, extension = 'yaml'): string {
  const file = join(folder, `graph-${++files}.${extension}`)
  writeFileSync(file, text)
  return file
}
writeFileSync(join(folder, 'fns.ts'), 'export const upper = (text: string) => text.toUpperCase()\n')
writeFileSync(
  join(folder, 'where.ts'),
  [
    "export const here = (n: unknown) => n + ' here:' + process.pid",
    "export const there = (text: string) => text + ' there:' + process.pid",
    '',
  ].join('\n'),
)

describe('graph files', () => {
  it('builds the same graph from YAML and from JSON', async () => {
    const { system } = await testSystem()
    const yaml = graphFile(`components:
  tick: { type: Ticker, intervalMs: 50, data: hello }
  upper: { type: Transform, module: ./fns.ts#upper }
  out: { type: Stdout, prefix: "got: " }
connections:
  - { from: tick, to: upper }
  - { from: upper, to: [out] }
`)
    const json = graphFile(
      JSON.stringify({
        components: {
          tick: { type: 'Ticker', intervalMs: 50, data: 'hello' },
          upper: { type: 'Transform', module: './fns.ts#upper' },
          out: { type: 'Stdout', prefix: 'got: ' },
        },
        connections: [
          { from: 'tick', to: 'upper' },
          { from: 'upper', to: ['out'] },
        ],
      }),
      'json',
    )
    const fromYaml = (await loadGraph(system, yaml)).describe()
    expect(fromYaml.connections).toEqual(['tick.outbox -> upper.inbox', 'upper.outbox -> out.inbox'])
    expect((await loadGraph(system, json)).describe()).toEqual(fromYaml)
  })

  it.each([
    ['a syntax error', 'components:\n  a: { type: Ticker\n', /line \d: /],
    ['an unknown section', 'components: {}\nwires: []\n', /line 2: .*unknown section 'wires'/],
    [
      'an unknown type',
      'components:\n  a: { type: Ticker }\n  b: { type: Teleporter }\n',
      /line 3: .*component 'b': unknown type 'Teleporter'/,
    ],
    [
      'an unknown option',
      'components:\n  a:\n    type: Stdout\n    colour: red\n',
      /line 2: .*Stdout takes no option 'colour'/,
    ],
    [
      'a module that does not load',
      'components:\n  a: { type: Transform, module: ./nope.ts#x }\n',
      /line 2: .*component 'a'/,
    ],
    [
      'a missing export',
      'components:\n  a: { type: Transform, module: ./fns.ts#lower }\n',
      /line 2: .*has no export 'lower'/,
    ],
    [
      'a dangling connection',
      'components:\n  a: { type: Ticker }\nconnections:\n  - { from: a, to: b }\n',
      /line 4: .*no component named 'b'/,
    ],
    [
      'an unknown box',
      'components:\n  a: { type: Ticker }\n  b: { type: Log }\nconnections:\n  - { from: a.sideways, to: b }\n',
      /line 5: .*'a' \(Ticker\) has no outbox 'sideways'/,
    ],
  ])('refuses %s, naming the line', async (_what, text, message) => {
    const { system } = await testSystem()
    const error = await loadGraph(system, graphFile(text)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(GraphError)
    expect((error as Error).message).toMatch(message)
  })
})

describe('troupe flow', () => {
  it('--check says a good file is fine and starts nothing', async () => {
    const run = await troupeRun(['flow', '--check', 'examples/flow/http.yaml'], { timeoutMs: 20_000 })
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toBe('examples/flow/http.yaml: 3 components, 5 connections: ok\n')
  }, 30_000)

  it('a file with an error: exit 2 and one line naming its line; a cycle with no exit too', async () => {
    const bad = graphFile('components:\n  a: { type: Stdout }\n  b: { type: Bogus }\n')
    const run = await troupeRun(['flow', bad], { timeoutMs: 20_000 })
    expect(run.code).toBe(2)
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^troupe flow: line 3: .*unknown type 'Bogus'/),
    ])
    const cycle = graphFile(
      'components:\n  a: { type: Stdout }\n  b: { type: Stdout }\nconnections:\n  - { from: a, to: b }\n  - { from: b, to: a }\n',
    )
    const looped = await troupeRun(['flow', '--check', cycle], { timeoutMs: 20_000 })
    expect(looped.code).toBe(2)
    expect(looped.stderr).toMatch(/'a', 'b' form a cycle with no exit/)
  }, 40_000)

  it('runs a component of the file in a child process (in: process), with the same graph', async () => {
    const file = graphFile(`components:
  tick: { type: Ticker, intervalMs: 20, count: 3 }
  here: { type: Transform, module: ./where.ts#here }
  there: { type: Transform, module: ./where.ts#there, in: process }
  out: { type: Stdout, prefix: "got: " }
connections:
  - { from: tick, to: here }
  - { from: here, to: there }
  - { from: there, to: out }
`)
    const flow = troupe(['flow', file])
    await flow.waitFor('got: 3 here:', 30_000)
    const lines = flow
      .stdout()
      .split('\n')
      .filter((line) => line.startsWith('got: '))
    for (const line of lines) {
      const [, here, there] = /here:(\d+) there:(\d+)/.exec(line) ?? []
      expect(here, line).toBeDefined()
      expect(there, line).not.toBe(here)
    }
    process.kill(flow.child.pid!, 'SIGINT')
    expect((await flow.exited(15_000)).code, flow.stderr()).toBe(0)
  }, 45_000)

  it('places a component on a troupe flow-host node (on: <node>), from the command line', async () => {
    const cookie = cookieFolder()
    try {
      const host = `worker@127.0.0.1:${await freePort()}`
      const file = graphFile(`components:
  tick: { type: Ticker, intervalMs: 20, count: 3 }
  here: { type: Transform, module: ./where.ts#here }
  there: { type: Transform, module: ./where.ts#there, on: "${host}" }
  out: { type: Stdout, prefix: "got: " }
connections:
  - { from: tick, to: here }
  - { from: here, to: there }
  - { from: there, to: out }
`)
      const director = ['--node', `director@127.0.0.1:${await freePort()}`, '--cookie-file', cookie.cookie]
      // With no host there, the start fails naming the component, and the command exits 1.
      const refused = troupe(['flow', file, ...director])
      const exit = await refused.exited(30_000)
      expect(exit.code, refused.stderr()).toBe(1)
      expect(refused.stderr()).toContain("'there'")
      const worker = troupe(['flow-host', '--node', host, '--cookie-file', cookie.cookie])
      await worker.waitFor(`${host}: hosting components`, 20_000)
      const flow = troupe(['flow', file, ...director])
      await flow.waitFor('got: 3 here:', 30_000)
      const [, here, there] = /here:(\d+) there:(\d+)/.exec(flow.stdout()) ?? []
      expect(there).toBeDefined()
      expect(there).not.toBe(here)
      process.kill(flow.child.pid!, 'SIGINT')
      expect((await flow.exited(15_000)).code, flow.stderr()).toBe(0)
      process.kill(worker.child.pid!, 'SIGINT')
      expect((await worker.exited(15_000)).code, worker.stderr()).toBe(0)
    } finally {
      cookie.remove()
    }
  }, 90_000)

  it('troupe flow and flow-host refuse bad node options with exit 2 and one line', async () => {
    for (const args of [
      ['flow', 'examples/flow/one-way.yaml', '--registry', '127.0.0.1:1616'],
      ['flow', 'examples/flow/one-way.yaml', '--node', 'plain'],
      ['flow-host', '--node', 'plain'],
      ['flow-host', '--node', 'w@127.0.0.1:1', '--load', 'nowhere.ts'],
    ]) {
      const run = await troupeRun(args)
      expect(run.code, args.join(' ')).toBe(2)
      expect(run.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1)
    }
  }, 60_000)

  it('runs a graph until SIGINT, then stops it cleanly', async () => {
    const flow = troupe(['flow', 'examples/flow/one-way.yaml'])
    await flow.waitFor('running 3 components')
    await flow.waitFor('left:  tick')
    await flow.waitFor('right: ')
    process.kill(flow.child.pid!, 'SIGINT')
    const exit = await flow.exited(10_000)
    expect(exit.code, flow.stderr()).toBe(0)
    expect(flow.stdout()).toContain('examples/flow/one-way.yaml: stopped')
  }, 30_000)
})
