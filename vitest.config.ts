import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url))

export default defineConfig({
  // Tests import the package by its name, as users do, and get the TypeScript sources.
  resolve: {
    alias: [
      { find: /^troupe$/, replacement: source('./src/index.ts') },
      { find: /^troupe\/testkit$/, replacement: source('./src/testkit/index.ts') },
      { find: /^troupe\/flow$/, replacement: source('./src/flow/index.ts') },
      { find: /^troupe\/gateway$/, replacement: source('./src/gateway/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
})
