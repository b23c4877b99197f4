import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import * as troupe from 'troupe'
import * as flow from 'troupe/flow'
import * as gateway from 'troupe/gateway'
import * as testkit from 'troupe/testkit'
import type ts from 'typescript'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type CodeBlock, codeBlocks, expectedOutput, firstMissingLine } from '../support/markdown-blocks.ts'
import { runInProcessGroup } from '../support/process-group.ts'
import { root } from '../support/run-node.ts'
import {
  createProjectProgram,
  errorsIn,
  exportedNames,
  UNDECLARED_NAME_CODES,
} from '../support/typescript-program.ts'

/**
 * The README is true: every ```ts block is a program that runs as printed, in a fresh process, and
 * prints what its `// → text` comments say (each one a line of its output, in order; `…` stands for
 * any text). A block marked ```ts fragment is only typechecked, and may leave names undeclared.
 * The API overview names every export of `troupe`, `troupe/testkit`, `troupe/flow` and `troupe/gateway`, and nothing else; the
 * layout and the examples list name what is there.
 */
const readme = readFileSync(join(root, 'README.md'), 'utf8')
const blocks = codeBlocks(readme).filter((block) => block.language === 'ts')
const programs = blocks.filter((block) => !block.flags.includes('fragment'))
const KNOWN_FLAGS = ['fragment']

const DEADLINE_MS = 30_000
/** A program of the README starts at most a few children; more is one that forks itself again. */
const MAX_PROCESSES = 8

let folder = ''
const fileOf = (block: CodeBlock) => join(folder, `readme-line-${block.line}.ts`)

beforeAll(() => {
  // A user's project with `troupe` installed, in node_modules: no lint or type check of ours scans it.
  folder = mkdtempSync(join(root, 'node_modules', '.troupe-readme-'))
  mkdirSync(join(folder, 'node_modules'))
  symlinkSync(root, join(folder, 'node_modules', 'troupe'), 'dir')
  writeFileSync(join(folder, 'package.json'), `${JSON.stringify({ private: true, type: 'module' })}\n`)
  for (const block of blocks) writeFileSync(fileOf(block), block.code)
})

afterAll(() => {
  if (folder !== '') rmSync(folder, { recursive: true, force: true })
})

let program: ts.Program | undefined
/** One program for the blocks and the entry points: building it takes seconds. */
function projectProgram(): ts.Program {
  program ??= createProjectProgram([
    ...blocks.map(fileOf),
    join(root, 'src/index.ts'),
    join(root, 'src/testkit/index.ts'),
    join(root, 'src/flow/index.ts'),
    join(root, 'src/gateway/index.ts'),
  ])
  return program
}

describe('README.md', () => {
  test('has TypeScript programs, each saying what it prints, and few fragments', () => {
    expect(programs.length).toBeGreaterThanOrEqual(5)
    for (const block of blocks) {
      const unknown = block.flags.filter((flag) => !KNOWN_FLAGS.includes(flag))
      expect(unknown, `README.md:${block.line}: unknown marks on the ts block`).toEqual([])
    }
    for (const block of programs) {
      expect(expectedOutput(block.code), `README.md:${block.line} prints nothing it says`).not.toEqual([])
    }
    expect(blocks.length - programs.length).toBeLessThanOrEqual(2)
  })

  test('every TypeScript block typechecks (fragments but for the names they leave undeclared)', {
    timeout: 120_000,
  }, () => {
    const errors = blocks.flatMap((block) =>
      errorsIn(
        projectProgram(),
        fileOf(block),
        block.flags.includes('fragment') ? UNDECLARED_NAME_CODES : [],
      ),
    )
    expect(errors.join('\n')).toBe('')
  })

  for (const block of programs) {
    test(`the program at README.md:${block.line} runs as printed`, {
      timeout: DEADLINE_MS + 20_000,
    }, async () => {
      const run = await runInProcessGroup(
        process.execPath,
        ['--import', 'tsx', '--conditions=source', fileOf(block)],
        {
          cwd: folder,
          env: { ...process.env, TROUPE_COOKIE: 'the-cookie-of-the-readme-programs' },
          timeoutMs: DEADLINE_MS,
          maxProcesses: MAX_PROCESSES,
        },
      )
      const report = `--- README.md:${block.line}\n${block.code}--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`
      expect(
        run.tooManyProcesses,
        `it ran more than ${MAX_PROCESSES} processes at once: it forks itself\n${report}`,
      ).toBe(false)
      expect(run.timedOut, `it did not exit within ${DEADLINE_MS} ms\n${report}`).toBe(false)
      expect(run.code, `it exited with ${run.code ?? run.signal}\n${report}`).toBe(0)
      const missing = firstMissingLine(run.stdout, expectedOutput(block.code))
      expect(missing, `it did not print this line (in order)\n${report}`).toBeUndefined()
    })
  }
})

/** The text of the README's section `## title`, up to the next such heading. */
function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`)
  expect(start, `README.md has a section "## ${title}"`).toBeGreaterThan(0)
  const end = readme.indexOf('\n## ', start + 1)
  return readme.slice(start, end < 0 ? undefined : end)
}

/** The names in the first column of the tables of the README's API overview. */
function overviewNames(): string[] {
  const lines = section('API overview').split('\n')
  const names: string[] = []
  lines.forEach((line, i) => {
    const isRow = line.startsWith('|') && !/^\|[\s|:-]+$/.test(line)
    const isHeader = /^\|[\s|:-]+$/.test(lines[i + 1] ?? '')
    if (!isRow || isHeader) return
    const firstCell = line.split('|')[1] ?? ''
    for (const match of firstCell.matchAll(/`([A-Za-z_$][\w$]*)/g)) names.push(match[1] ?? '')
  })
  return names
}

describe("README.md's API overview", () => {
  test('names every export of troupe, troupe/testkit, troupe/flow and troupe/gateway', {
    timeout: 120_000,
  }, () => {
    const named = new Set(overviewNames())
    const values = [
      ...Object.keys(troupe),
      ...Object.keys(testkit),
      ...Object.keys(flow),
      ...Object.keys(gateway),
    ]
    expect(values.filter((name) => !named.has(name))).toEqual([])
    const all = [
      ...exportedNames(projectProgram(), join(root, 'src/index.ts')),
      ...exportedNames(projectProgram(), join(root, 'src/testkit/index.ts')),
      ...exportedNames(projectProgram(), join(root, 'src/flow/index.ts')),
      ...exportedNames(projectProgram(), join(root, 'src/gateway/index.ts')),
    ]
    expect(all.filter((name) => !named.has(name))).toEqual([])
  })

  test('names nothing that is not exported, and each name once', { timeout: 120_000 }, () => {
    const exported = new Set([
      ...exportedNames(projectProgram(), join(root, 'src/index.ts')),
      ...exportedNames(projectProgram(), join(root, 'src/testkit/index.ts')),
      ...exportedNames(projectProgram(), join(root, 'src/flow/index.ts')),
      ...exportedNames(projectProgram(), join(root, 'src/gateway/index.ts')),
    ])
    const names = overviewNames()
    expect(names.filter((name) => !exported.has(name))).toEqual([])
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([])
  })
})

describe("README.md's layout and examples", () => {
  test('the layout names every folder of src/, and only folders that exist', () => {
    const layout = codeBlocks(section('Layout'))[0]?.code ?? ''
    const rows = layout.split('\n').filter((line) => /^\S/.test(line))
    for (const row of rows) {
      const path = row.split(/\s+/)[0] ?? ''
      expect(existsSync(join(root, path)), `README.md's layout names ${path}, which does not exist`).toBe(
        true,
      )
    }
    const folders = readdirSync(join(root, 'src'), { withFileTypes: true }).filter((entry) =>
      entry.isDirectory(),
    )
    for (const folder of folders) {
      const row = rows.find((line) => line.startsWith(`src/${folder.name}/ `))
      expect(row, `README.md's layout does not name src/${folder.name}/`).toBeDefined()
      const inner = readdirSync(join(root, 'src', folder.name), { withFileTypes: true })
      for (const sub of inner.filter((entry) => entry.isDirectory())) {
        const block = layout.slice(layout.indexOf(row ?? ''))
        const described = block.split(/\n(?=\S)/)[0] ?? ''
        expect(
          described,
          `README.md's layout line of src/${folder.name}/ does not name ${sub.name}/`,
        ).toContain(`${sub.name}/`)
      }
    }
  })

  test('the examples list names every example, and only examples that exist', () => {
    const text = section('Examples')
    const named = [...text.matchAll(/`([\w.*-]+(?:\.ts|\/))`/g)].map((match) => match[1] ?? '')
    const patternOf = (name: string) => new RegExp(`^${name.replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`)
    const entries = readdirSync(join(root, 'examples'), { withFileTypes: true })
      .filter((entry) => !entry.name.startsWith('_'))
      .map((entry) => (entry.isDirectory() ? `${entry.name}/` : entry.name))
      .filter((name) => name.endsWith('/') || name.endsWith('.ts'))
    for (const entry of entries) {
      expect(
        named.some((name) => patternOf(name).test(entry)),
        `README.md's examples do not name ${entry}`,
      ).toBe(true)
    }
    for (const name of named) {
      expect(
        entries.some((entry) => patternOf(name).test(entry)),
        `README.md's examples name ${name}, which is not in examples/`,
      ).toBe(true)
    }
  })
})
