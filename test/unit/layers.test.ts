import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

// DESIGN.md §1: each folder imports only the folders above it in this list.
const order = [
  'concurrency',
  'core',
  'wire',
  'transport',
  'remote',
  'registry',
  'node',
  'flow',
  'gateway',
  'cli',
  'testkit',
]
// flow, gateway, cli and testkit use only the public API of the layers above them.
const publicApiOnly = new Set(['flow', 'gateway', 'cli', 'testkit'])
const src = resolve(import.meta.dirname, '../../src')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry)
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : []
  })
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!)
}

function layerOf(file: string): string {
  const rel = relative(src, file)
  return rel.includes('/') ? rel.split('/')[0]! : '(root)'
}

describe('layering', () => {
  const files = sourceFiles(src)

  it('finds the source files', () => {
    expect(files.length).toBeGreaterThan(10)
  })

  it('every folder is a known layer', () => {
    for (const file of files) {
      const layer = layerOf(file)
      if (layer !== '(root)') expect(order, `${relative(src, file)} is in an unknown layer`).toContain(layer)
    }
  })

  it('imports point only down the layer list', () => {
    const violations: string[] = []
    for (const file of files) {
      const from = layerOf(file)
      if (from === '(root)') continue
      for (const spec of importsOf(file)) {
        if (!spec.startsWith('.')) continue
        const target = resolve(file, '..', spec)
        const to = layerOf(target)
        const where = `${relative(src, file)} -> ${spec}`
        if (to === '(root)') {
          if (!publicApiOnly.has(from))
            violations.push(`${where}: only flow, gateway, cli and testkit use the public API`)
          continue
        }
        if (to === from) continue
        if (publicApiOnly.has(from))
          violations.push(`${where}: ${from} uses only the public API (src/index.ts)`)
        else if (order.indexOf(to) > order.indexOf(from))
          violations.push(`${where}: ${from} may not import ${to}`)
      }
    }
    expect(violations).toEqual([])
  })

  it('the concurrency layer imports nothing of Troupe but itself', () => {
    for (const file of files.filter((f) => layerOf(f) === 'concurrency')) {
      for (const spec of importsOf(file)) {
        if (spec.startsWith('.'))
          expect(layerOf(resolve(file, '..', spec)), `${file} imports ${spec}`).toBe('concurrency')
        else expect(spec.startsWith('node:'), `${file} imports ${spec}`).toBe(true)
      }
    }
  })
})
