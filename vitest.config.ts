import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url))

/**
 * The files that run alone, after the others: each measures time or memory against a bound
 * (a partition noticed within its timeout, a tree gone within 2 s, a heap flat over a minute of
 * flaps, a timer that fires between frames) or keeps both cores busy by itself (the tiny bench, a
 * browser). Every other file shares the machine with one more.
 */
const alone = [
  'test/integration/bench.test.ts',
  'test/integration/partition/**',
  'test/integration/nats/bounce.test.ts',
  'test/integration/nats/members.test.ts',
  'test/integration/nats/names.test.ts',
  'test/integration/remote/tree-signals.test.ts',
  'test/integration/transport/no-orphans.test.ts',
  'test/integration/transport/frame-slice.test.ts',
  'test/integration/cli/exit-with-parent.test.ts',
  'test/integration/flow/majordomo-failover.test.ts',
  'test/integration/dashboard/**',
  'test/unit/remote/item-queue.test.ts',
  'test/browser/**',
]

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
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // Most files wait on processes far more than they compute: two at a time fill two cores.
    maxWorkers: 2,
    minWorkers: 1,
    projects: [
      { extends: true, test: { name: 'shared', include: ['test/**/*.test.ts'], exclude: alone } },
      {
        extends: true,
        test: {
          name: 'alone',
          include: alone.map((glob) => (glob.endsWith('**') ? `${glob}/*.test.ts` : glob)),
          // One file at a time, in one process, once every shared file is done.
          poolOptions: { forks: { singleFork: true } },
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
})
