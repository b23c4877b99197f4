/**
 * tractor's remote error: a function that fails an assertion runs in an actor in a child process.
 * Its error fails the nursery as a `RemoteActorError`, whose `cause` is the original error rebuilt:
 * `AssertionError` is registered with the system (`errorClasses`), so `instanceof` works.
 *
 * Run: npx tsx --conditions=source examples/tractor-remote-error.ts
 */
import { AssertionError } from 'node:assert'
import { pathToFileURL } from 'node:url'
import { RemoteActorError, start } from 'troupe'
import { faulty } from './tractor/remote-error.ts'

export async function main(): Promise<void> {
  const system = await start({ logLevel: 'error', errorClasses: [AssertionError] })
  try {
    await system.nursery(async (n) => {
      n.runInActor('errorer', faulty.assertErr, [], { in: 'process' })
    })
    console.log('the nursery did not fail?!')
  } catch (error) {
    if (!(error instanceof RemoteActorError)) throw error
    console.log(`the nursery threw ${error.name}`)
    console.log(`the remote error: ${error.remoteName}: ${error.remoteMessage}`)
    console.log(`error.cause instanceof AssertionError: ${error.cause instanceof AssertionError}`)
  } finally {
    await system.shutdown()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
