/**
 * A greeter for the `troupe` CLI on NATS: it answers asks `{ "name": "ann" }` with
 * `hello ann, from <node>`, and while it runs its node serves the service `greet`, which answers
 * a name (`"bob"`, or `{ "name": "bob" }`) the same way. In three terminals, from the project's
 * root, with a 3-server cluster (README, "A cluster over NATS"):
 *
 *   NATS=nats://127.0.0.1:4221,nats://127.0.0.1:4222,nats://127.0.0.1:4223
 *   npx troupe run examples/nats-cluster/greeter.ts --node greeter --name greeter --nats $NATS
 *   npx troupe send greeter '{"name":"ann"}' --ask --nats $NATS
 *   npx troupe request greet '"bob"' --nats $NATS
 *
 * The send prints "hello ann, from greeter", the request "hello bob, from greeter"; a request
 * of something that is not a name exits 1 with the service's error (code 400).
 */
import { defineActor, ServiceError, type ServiceHandle } from 'troupe'

/** An ask: answered with the greeting. */
export type Greet = { name: string }

/** The name in a message or a payload (both may be any JSON, from the CLI), or `undefined`. */
function nameIn(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  const name = (value as Partial<Greet> | null)?.name
  return typeof name === 'string' ? name : undefined
}

/** The `greet` service this actor's node serves while the actor runs. */
type State = { service: ServiceHandle | undefined }

const Greeter = defineActor<Greet, State>({
  init: () => ({ service: undefined }),
  async started(state, ctx) {
    // The mailbox waits for this: the first ask is answered once the service is served too.
    state.service = await ctx.system.service('greet', (payload: unknown) => {
      const name = nameIn(payload)
      if (name === undefined)
        throw new ServiceError('expected a name: "bob" or {"name":"bob"}', { code: 400 })
      return `hello ${name}, from ${ctx.system.node}`
    })
    console.log(`${ctx.self.name}: serving greet on ${ctx.system.node}`)
  },
  receive(state, message, ctx) {
    const name = nameIn(message)
    if (name === undefined || typeof message !== 'object') {
      ctx.unhandled()
      return state
    }
    ctx.reply(`hello ${name}, from ${ctx.system.node}`)
    return state
  },
  async stopped(state) {
    // Stopping (or restarting) ends the service on this node: requests go to the other nodes.
    await state.service?.stop()
    state.service = undefined
  },
})

export default Greeter
