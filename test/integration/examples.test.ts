import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type NatsCluster, natsServerVersion, startNatsCluster } from '../support/nats-server.ts'
import { type NodeRun, root, runTypeScript } from '../support/run-node.ts'

/**
 * Every file in examples/ (but scratch files starting with `_`) runs as a real process, the way a user runs it:
 * it must exit 0 by itself before the deadline. Key lines of the known examples are checked.
 */
const examplesDir = join(root, 'examples')
const examples = readdirSync(examplesDir)
  .filter((file) => file.endsWith('.ts') && !file.startsWith('_'))
  .sort()

const DEADLINE_MS = 30_000

/** Lines each example must print, on stdout and (the logs) on stderr. */
const expected: Record<string, { stdout: string[]; stderr?: string[] }> = {
  'spinoff-example1.ts': {
    stdout: [
      'parent -> child: please square 1',
      'child -> parent: 1 squared is 1 (answer #1 of this life)',
      "child: 3? I can't stand 3! (throws)",
      'child -> parent: hello again, I was restarted with fresh state',
      'child -> parent: 4 squared is 16 (answer #1 of this life)',
      'child -> parent: 5 squared is 25 (answer #2 of this life)',
      'parent: got 1, 4, 16, 25; 3 was never answered',
      'parent finished (normal); its child was restarted 1 time(s)',
    ],
    stderr: ['/user/parent/child restarted after failure: Error: cannot square 3'],
  },
  'ping-pong.ts': {
    stdout: [
      'ponger: got ping 1, sending pong 1',
      'pinger: got pong 3',
      'ponger: no ping within 300 ms (ReceiveTimeoutError), the game is over',
      'ponger: now reading the notes left aside: "first note: nice serve", then "second note: good game"',
      'ponger finished (normal)',
    ],
  },
  'auto-restart.ts': {
    stdout: [
      'job 2: job 2 done (2 done since the last (re)start)',
      'job 3: the asker gets the error: job 3 is corrupt',
      'job 4: job 4 done (1 done since the last (re)start)',
      '[inspect] restarted: /user/flaky (restart #3 in the window)',
      '[inspect] intensity-exceeded: more than 3 restarts within 5000 ms',
      '[inspect] stopped: /user/flaky for good (reason: failed)',
      'flaky is stopped (reason: failed, alive: false)',
      'job 13: ActorStoppedError',
      'the system keeps running: steady answers pong',
    ],
    stderr: [
      '/user/flaky restarted after failure: Error: job 3 is corrupt',
      '/user/flaky failed 4 times within 5000 ms and is stopped',
    ],
  },
  'supervision-tree.ts': {
    stdout: [
      'which-children: /user/app/db (permanent), /user/app/cache (permanent), /user/app/api (permanent)',
      'db:    connection #1, 2 queries',
      'cache crashed: the cache is corrupted',
      'one-for-all restarted 3 children: db, cache, api',
      'db:    connection #2, 1 queries',
      'cache: 1 entries',
      'api:   1 requests served',
      'which-children: db, cache, api (same refs as before: true)',
      'db: closing connection #2 (stopped)',
    ],
    stderr: [
      '/user/app/db restarted after failure',
      '/user/app/cache restarted after failure: Error: the cache is corrupted',
      '/user/app/api restarted after failure',
    ],
  },
  'nodes.ts': {
    stdout: [
      'over TCP: 5050 counted by troupe://b@127.0.0.1:',
      'in a child process: 5050 counted by',
      "the child process stopped; its counter's watcher got: node-down",
      'in a child thread: 5050 counted by',
    ],
  },
  'tractor-first-scene.ts': {
    stdout: [
      'Alright... Action!',
      'Hi my name is donny',
      'Hi my name is gretchen',
      "CUTTTT CUUTT CUT!!?! Donny!! You're supposed to say...",
    ],
  },
  'tractor-frank.ts': {
    stdout: ['started frank in a worker thread', 'frank: in your head, is Donnie Darko coming back?'],
  },
  'tractor-stream-forever.ts': {
    stdout: [
      'parent: got 0',
      'parent: got 5',
      'cancelled after 1 s',
      'streamForever was cancelled after',
      'parent: the child says streamForever ended after',
    ],
  },
  'tractor-context.ts': {
    stdout: [
      'parent: the context is open: ponger is ready in process',
      'child: got ping 1',
      'parent: got pong 3',
      'child: the parent closed its side after 3 pings',
      'parent: the ponger returned 3',
      'parent: moveOnAfter cancelled the ticker after',
      'child: ticker was cancelled after',
      'parent: the child says the ticker ended after',
    ],
  },
  'tractor-aggregator.ts': {
    stdout: ['received 200 values, 150 unique: 0..149', 'both streamers cancelled'],
  },
  'tractor-remote-error.ts': {
    stdout: [
      'the nursery threw RemoteActorError',
      'the remote error: AssertionError: one plus one is not three',
      'error.cause instanceof AssertionError: true',
    ],
  },
  'tractor-statespace.ts': {
    stdout: ['child statespace (in another process) read the statespace {"doggy":10,"kitty":"4"}'],
  },
  'nats-cluster.ts': {
    stdout: [
      'beta found the counter: 21, counted on troupe://alpha/user/counter',
      'gamma found the counter: 42, counted on troupe://alpha/user/counter',
      'alpha asked the greet service: hello alpha, from beta',
      'gamma asked the greet service: hello gamma, from beta',
      'the members, as gamma sees them: alpha, beta, gamma',
      "alpha shut down; gamma's watch of the counter got: stopped",
      'the members now: beta, gamma',
      'the counter is no longer found',
    ],
  },
  'flow-one-way.ts': {
    stdout: [
      'left:  tick 1',
      'right: tick 1',
      'right: tick 3',
      'the graph stopped with nothing in flight: true',
    ],
  },
  'flow-http.ts': {
    stdout: [
      'with credentials: 200 {"squared":144,"user":"ann"}',
      'without: 401 {"error":"authentication required","component":"auth"} (Basic realm="troupe", charset="UTF-8")',
    ],
  },
  'gateway.ts': {
    stdout: [
      'PUT /actors/visits: 201 {"name":"visits","address":"troupe://local/user/visits"}',
      'POST /actors/visits: 202',
      'POST /actors/visits?ask=1: 200 42',
      'GET /actors/visits: 200 {"name":"visits","address":"troupe://local/user/visits","snapshot":{"count":42}}',
      'DELETE /actors/visits: 200 {"name":"visits","address":"troupe://local/user/visits","reason":"killed"}',
      'without the token: 401 Bearer realm="troupe"',
    ],
  },
  'flow-graph-file.ts': {
    stdout: [
      'the graph: http.outbox -> auth.inbox, auth.outbox -> square.inbox, square.outbox -> http.inbox',
      'ann asks for 12 squared: 200 {"squared":144}',
      'with a wrong password: 401',
      'with no number: 400',
    ],
  },
  'flow-placement.ts': {
    stdout: [
      '1229 primes below 10000: counted in another process, marked in a worker thread',
      '2262 primes below 20000: counted in another process, marked in a worker thread',
      '3245 primes below 30000: counted in another process, marked in a worker thread',
    ],
  },
  'flow-majordomo.ts': {
    stdout: [
      '/test_service: 200, echo hello, served by the worker process',
      '/no_service: 504 (no worker serves it: the request waits out its timeout)',
    ],
  },
  'tour.ts': {
    stdout: [
      '=== 1. Parent and child',
      'child -> parent: hello again, I was restarted with fresh state',
      '=== 2. Ping-pong with selective receive',
      'pinger: got pong 3',
      '=== 3. Automatic restarts and restart intensity',
      'the system keeps running: steady answers pong',
      '=== 4. A supervision tree, one-for-all',
      'one-for-all restarted 3 children: db, cache, api',
      '=== 5. Structured concurrency',
      'the nursery returned once both had finished: apples: 120 cents, pears: 95 cents',
      'durian supplier: cancelled',
      'moveOnAfter(50 ms): the durian supplier was too slow',
      'is the durian actor still alive? false',
      '=== 6. Nodes',
      'in a child thread: 5050 counted by',
      "=== 7. tractor's examples",
      'error.cause instanceof AssertionError: true',
      'End of the tour.',
    ],
    stderr: ['restarted after failure'],
  },
}

/** The examples that need NATS servers: they get a 3-server cluster's URLs in NATS_URLS. */
const needsNats = new Set(['nats-cluster.ts'])
const natsMissing = natsServerVersion() === undefined
if (natsMissing) console.warn(`skipping ${[...needsNats].join(', ')}: nats-server is not on the PATH`)
let nats: NatsCluster | undefined
beforeAll(async () => {
  if (!natsMissing) nats = await startNatsCluster(3)
}, 30_000)
afterAll(async () => {
  await nats?.stop()
})

function runExample(file: string): Promise<NodeRun> {
  const env = needsNats.has(file) ? { ...process.env, NATS_URLS: nats!.urls.join(',') } : undefined
  return runTypeScript([join(examplesDir, file)], {
    timeoutMs: DEADLINE_MS,
    ...(env === undefined ? {} : { env }),
  })
}

describe('examples', () => {
  test('the examples folder has the examples the tour runs', () => {
    for (const file of Object.keys(expected)) expect(examples).toContain(file)
  })

  for (const file of examples) {
    test.skipIf(natsMissing && needsNats.has(file))(
      `${file} runs to completion and exits 0`,
      { timeout: DEADLINE_MS + 10_000 },
      async () => {
        const run = await runExample(file)
        const report = `--- stdout of ${file}\n${run.stdout}\n--- stderr\n${run.stderr}`
        expect(run.timedOut, `${file} did not exit within ${DEADLINE_MS} ms\n${report}`).toBe(false)
        expect(run.code, `${file} exited with ${run.code ?? run.signal}\n${report}`).toBe(0)
        expect(run.stdout.trim(), `${file} printed nothing`).not.toBe('')
        const lines = expected[file]
        if (lines === undefined) return
        for (const line of lines.stdout) expect(run.stdout, report).toContain(line)
        for (const line of lines.stderr ?? []) expect(run.stderr, report).toContain(line)
      },
    )
  }
})
