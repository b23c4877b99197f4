import { execFileSync, spawnSync } from 'node:child_process'

/**
 * Two network namespaces joined by a veth pair, for partition tests: a process started in each
 * (`ip netns exec`) reaches the other at its own address, and `cut()` sets one end of the pair
 * down, which drops every packet without a FIN or RST, as a pulled cable or a dead switch would.
 * Needs root and iproute2 (`.ci/run` installs it); {@link namespacesUnavailable} says why not.
 */

/** Why namespaces cannot be made here, or `undefined` when they can (a test skips with the reason). */
export function namespacesUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespaces need root'
  const probe = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
  if (probe.error !== undefined) return `ip (iproute2) is not installed: ${probe.error.message}`
  if (probe.status !== 0) return `ip netns does not work here: ${probe.stderr.trim()}`
  return undefined
}

/** One namespace of a {@link NetworkPair}. */
export interface Namespace {
  /** The namespace's name, for `ip netns exec`. */
  readonly name: string
  /** Its address on the pair's link. */
  readonly address: string
  /** The command line that runs `command` inside it (for `spawn`). */
  exec(command: string, ...args: string[]): [string, string[]]
}

/** Two namespaces on one link. */
export interface NetworkPair {
  readonly a: Namespace
  readonly b: Namespace
  /** Drops all traffic between the two (no FIN, no RST): sets a's end of the link down. */
  cut(): void
  /** Brings the link back. */
  heal(): void
  /** Deletes both namespaces (the processes in them must have been stopped first). */
  remove(): void
}

let pairs = 0

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] })
}

/**
 * Makes two namespaces with a veth pair between them, addressed 10.213.N.1 and 10.213.N.2, each
 * with its loopback up. Names carry this process's id, so parallel test files do not collide.
 */
export function makeNetworkPair(): NetworkPair {
  const n = pairs++
  const tag = `${process.pid % 100_000}-${n}`
  const subnet = `10.213.${(process.pid + n) % 250}`
  const names = [`troupe-${tag}-a`, `troupe-${tag}-b`] as const
  const devices = [`tra${tag}`.slice(0, 15), `trb${tag}`.slice(0, 15)] as const
  const addresses = [`${subnet}.1`, `${subnet}.2`] as const
  const remove = () => {
    for (const name of names) spawnSync('ip', ['netns', 'del', name])
  }
  try {
    for (const name of names) ip('netns', 'add', name)
    ip('link', 'add', devices[0], 'type', 'veth', 'peer', 'name', devices[1])
    for (let i = 0; i < 2; i++) {
      ip('link', 'set', devices[i]!, 'netns', names[i]!)
      ip('-n', names[i]!, 'addr', 'add', `${addresses[i]!}/24`, 'dev', devices[i]!)
      ip('-n', names[i]!, 'link', 'set', devices[i]!, 'up')
      ip('-n', names[i]!, 'link', 'set', 'lo', 'up')
    }
  } catch (error) {
    remove()
    throw error
  }
  const namespace = (i: 0 | 1): Namespace => ({
    name: names[i],
    address: addresses[i],
    exec: (command, ...args) => ['ip', ['netns', 'exec', names[i], command, ...args]],
  })
  return {
    a: namespace(0),
    b: namespace(1),
    cut: () => ip('-n', names[0], 'link', 'set', devices[0], 'down'),
    heal: () => ip('-n', names[0], 'link', 'set', devices[0], 'up'),
    remove,
  }
}
