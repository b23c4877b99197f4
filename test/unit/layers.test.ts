import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

// DESIGN.md §1: each folder imports only the folders above it in this list.
const order = [
  'concurrency',
  'core',
  'wire',
  'transport',
  'remote',
  'registry',
  'services',
  'node',
  'flow',
  'gateway',
  'cli',
  'testkit',
]
// flow, gateway, cli and testkit use only the public API of the layers above them, and what
// src/internal.ts gives Troupe's own folders beyond it.
const publicApiOnly = new Set(['flow', 'gateway', 'cli', 'testkit'])
// The package's entries: what users import (`troupe`, `troupe/flow`, `troupe/gateway`), and internal.ts.
const entries = new Set(['index.ts', 'internal.ts', 'flow/index.ts', 'gateway/index.ts'])
const src = resolve(import.meta.dirname, '../../src')
const SOURCE = /\.(?:[cm]?ts|[cm]?js)$/

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry)
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : []
  })
}

/** How a module names another: `import … from`, `export … from`, `import('…')`, `new URL('…', import.meta.url)`. */
type ImportKind = 'static' | 'dynamic' | 'url'
interface Import {
  spec: string
  kind: ImportKind
}

function stringsOf(node: ts.Node | undefined): string[] {
  if (node === undefined) return []
  if (ts.isStringLiteralLike(node)) return [node.text]
  if (ts.isConditionalExpression(node)) return [...stringsOf(node.whenTrue), ...stringsOf(node.whenFalse)]
  if (ts.isParenthesizedExpression(node)) return stringsOf(node.expression)
  return []
}

const isImportMetaUrl = (node: ts.Node | undefined) =>
  node !== undefined &&
  ts.isPropertyAccessExpression(node) &&
  ts.isMetaProperty(node.expression) &&
  node.expression.keywordToken === ts.SyntaxKind.ImportKeyword &&
  node.name.text === 'url'

/** What a module's text imports, read from its syntax (comments and strings are not imports). */
function importsIn(text: string, file = 'module.ts'): Import[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest)
  const found: Import[] = []
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier !== undefined
    ) {
      for (const spec of stringsOf(node.moduleSpecifier)) found.push({ spec, kind: 'static' })
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      for (const spec of stringsOf(node.arguments[0])) found.push({ spec, kind: 'dynamic' })
    } else if (
      ts.isNewExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'URL' &&
      isImportMetaUrl(node.arguments?.[1])
    ) {
      for (const spec of stringsOf(node.arguments?.[0]))
        if (SOURCE.test(spec)) found.push({ spec, kind: 'url' })
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

const parsed = new Map<string, Import[]>()
function importsOf(file: string): Import[] {
  let found = parsed.get(file)
  if (found === undefined) {
    found = importsIn(readFileSync(file, 'utf8'), file)
    parsed.set(file, found)
  }
  return found
}

function layerOf(file: string): string {
  const rel = relative(src, file)
  return rel.includes('/') ? rel.split('/')[0]! : '(root)'
}

const where = (file: string, { spec, kind }: Import) =>
  `${relative(src, file)} -> ${spec}${kind === 'static' ? '' : ` (${kind === 'url' ? 'new URL' : 'import()'})`}`

describe('layering', () => {
  const files = sourceFiles(src)

  it('finds the source files', () => {
    expect(files.length).toBeGreaterThan(10)
  })

  it('reads imports of every kind, and nothing in comments or strings', () => {
    const text = [
      "import { a } from './a.ts'",
      "import './side-effect.ts'",
      "export type { B } from '../b/index.ts'",
      "const c = await import('../c/c.ts')",
      "const d = new URL(import.meta.url.endsWith('.ts') ? './d.ts' : './d.js', import.meta.url)",
      "const data = new URL('../../package.json', import.meta.url)",
      "// import { e } from './e.ts'",
      'const f = "import(\'./f.ts\')"',
    ].join('\n')
    expect(importsIn(text)).toEqual([
      { spec: './a.ts', kind: 'static' },
      { spec: './side-effect.ts', kind: 'static' },
      { spec: '../b/index.ts', kind: 'static' },
      { spec: '../c/c.ts', kind: 'dynamic' },
      { spec: './d.ts', kind: 'url' },
      { spec: './d.js', kind: 'url' },
    ])
  })

  it('every folder is a known layer', () => {
    for (const file of files) {
      const layer = layerOf(file)
      if (layer !== '(root)') expect(order, `${relative(src, file)} is in an unknown layer`).toContain(layer)
    }
  })

  it('imports of every kind point only down the layer list', () => {
    const violations: string[] = []
    for (const file of files) {
      const from = layerOf(file)
      if (from === '(root)') continue
      for (const found of importsOf(file)) {
        if (!found.spec.startsWith('.')) continue
        const target = resolve(file, '..', found.spec)
        const to = layerOf(target)
        if (to === '(root)') {
          if (!publicApiOnly.has(from))
            violations.push(`${where(file, found)}: only flow, gateway, cli and testkit use the public API`)
          continue
        }
        if (to === from) continue
        const entry = entries.has(relative(src, target)) && order.indexOf(to) < order.indexOf(from)
        if (publicApiOnly.has(from) && !entry)
          violations.push(`${where(file, found)}: ${from} uses only the entries above it and src/internal.ts`)
        else if (order.indexOf(to) > order.indexOf(from))
          violations.push(`${where(file, found)}: ${from} may not import ${to}`)
      }
    }
    expect(violations).toEqual([])
  })

  it('flow, gateway, cli and testkit reach the rest of src only through the entries (index.ts, flow/index.ts) or internal.ts', () => {
    const violations: string[] = []
    for (const file of files.filter((f) => publicApiOnly.has(layerOf(f)))) {
      for (const found of importsOf(file)) {
        if (!found.spec.startsWith('.')) continue
        const target = resolve(file, '..', found.spec)
        const rel = relative(src, target)
        if (layerOf(target) === layerOf(file) || entries.has(rel)) continue
        violations.push(where(file, found))
      }
    }
    expect(violations).toEqual([])
  })

  it('nothing outside src/core reaches into the cell', () => {
    const cell = join(src, 'core', 'cell')
    const violations: string[] = []
    for (const file of files.filter((f) => layerOf(f) !== 'core')) {
      for (const found of importsOf(file)) {
        if (!found.spec.startsWith('.')) continue
        const target = resolve(file, '..', found.spec)
        if (target === cell || target.startsWith(`${cell}/`)) violations.push(where(file, found))
      }
    }
    expect(violations).toEqual([])
  })

  it('the remote layer names no concrete transport: only transport.ts and the modules transports share', () => {
    const concrete = ['tcp', 'thread', 'process', 'in-process', 'nats'].map((name) =>
      join(src, 'transport', name),
    )
    const violations: string[] = []
    for (const file of files.filter((f) => layerOf(f) === 'remote')) {
      for (const found of importsOf(file)) {
        if (!found.spec.startsWith('.')) continue
        const target = resolve(file, '..', found.spec)
        if (concrete.some((folder) => target === folder || target.startsWith(`${folder}/`)))
          violations.push(where(file, found))
      }
    }
    expect(violations).toEqual([])
  })

  it('no transport knows another: each folder of src/transport imports only its own and the shared modules', () => {
    const transports = join(src, 'transport')
    const folderOf = (file: string) => relative(transports, file).split('/').slice(0, -1)[0]
    const violations: string[] = []
    for (const file of files.filter((f) => folderOf(f) !== undefined && layerOf(f) === 'transport')) {
      for (const found of importsOf(file)) {
        if (!found.spec.startsWith('.')) continue
        const target = resolve(file, '..', found.spec)
        const to = layerOf(target) === 'transport' ? folderOf(target) : undefined
        if (to !== undefined && to !== folderOf(file)) violations.push(where(file, found))
      }
    }
    expect(violations).toEqual([])
  })

  it('nothing in src imports Troupe by its package name', () => {
    const violations = files.flatMap((file) =>
      importsOf(file)
        .filter(({ spec }) => spec === 'troupe' || spec.startsWith('troupe/'))
        .map((found) => where(file, found)),
    )
    expect(violations).toEqual([])
  })

  it('the concurrency layer imports nothing of Troupe but itself', () => {
    for (const file of files.filter((f) => layerOf(f) === 'concurrency')) {
      for (const { spec } of importsOf(file)) {
        if (spec.startsWith('.'))
          expect(layerOf(resolve(file, '..', spec)), `${file} imports ${spec}`).toBe('concurrency')
        else expect(spec.startsWith('node:'), `${file} imports ${spec}`).toBe(true)
      }
    }
  })
})
