/**
 * Ping-pong across two nodes started with the `troupe` CLI: this is the pong side, which answers
 * every ping; `ping.ts` sends them. In two terminals, from the project's root:
 *
 *   npm run troupe -- run examples/cli-ping-pong/pong.ts --node pong@127.0.0.1:9711 --name pong
 *   npm run troupe -- run examples/cli-ping-pong/ping.ts --node ping@127.0.0.1:9712 --name ping \
 *     --using pong=troupe://pong@127.0.0.1:9711/user/pong
 *
 * or, with a cluster registry, by name:
 *
 *   npm run troupe -- registry
 *   npm run troupe -- run examples/cli-ping-pong/pong.ts --node pong@127.0.0.1:9711 --name pong --registry 127.0.0.1:1616
 *   npm run troupe -- run examples/cli-ping-pong/ping.ts --node ping@127.0.0.1:9712 --name ping --registry 127.0.0.1:1616 --using pong=pong
 *
 * Pong answers an ask too:
 *
 *   npm run troupe -- send troupe://pong@127.0.0.1:9711/user/pong '{"type":"ping","n":7}' --ask
 */
import { defineActor } from 'troupe'

/** A ping: answered with the {@link Pong} of the same number. */
export type Ping = { type: 'ping'; n: number }

/** The answer to a {@link Ping}. */
export type Pong = { type: 'pong'; n: number }

/** Whether a message (it may come from `troupe send`, as arbitrary JSON) is a ping. */
export function isPing(message: unknown): message is Ping {
  const candidate = message as Partial<Ping> | null
  return typeof candidate === 'object' && candidate?.type === 'ping' && typeof candidate.n === 'number'
}

/** Answers each ping to its sender (or asker) with a pong; counts them. */
const PongActor = defineActor<Ping, number>({
  init: () => 0,
  receive(count, ping, ctx) {
    if (!isPing(ping)) {
      ctx.unhandled()
      return count
    }
    console.log(`${ctx.self.name}: got ping ${ping.n}, sending pong ${ping.n} (${count + 1} so far)`)
    ctx.reply({ type: 'pong', n: ping.n } satisfies Pong)
    return count + 1
  },
})

export default PongActor
