// A function that fails an assertion, for examples/tractor-remote-error.ts: the child process
// that runs it loads this module, which exposes the function there too.
import assert from 'node:assert'
import { expose } from 'troupe'

/** tractor's `assert 0`. */
function assertErr(): void {
  assert.ok(1 + 1 === 3, 'one plus one is not three')
}

export const faulty = expose(import.meta.url, { assertErr })
