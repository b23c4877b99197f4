/**
 * Ping-pong across two nodes started with the `troupe` CLI: this is the ping side, given the pong
 * actor as `pong` by `--using pong=...` (see `pong.ts` for the commands). It plays a few rounds,
 * then stops, and its node exits 0.
 */
import { defineProcess, type Ref } from 'troupe'
import type { Ping, Pong } from './pong.ts'

/** The props of the ping actor. */
export interface PingProps {
  pong: Ref<Ping>
}

/** How many rounds the ping actor plays. */
export const ROUNDS = 3

/** Sends a ping, waits for its pong (5 s at most), again; then stops. */
const PingActor = defineProcess<Pong, PingProps>(async (self, { pong }) => {
  const me = self.self.name
  for (let n = 1; n <= ROUNDS; n++) {
    console.log(`${me}: ping ${n} to ${pong.address}`)
    pong.tell({ type: 'ping', n }, self.self)
    const reply = await self.receive((m): m is Pong => m.type === 'pong' && m.n === n, { timeout: 5_000 })
    console.log(`${me}: got pong ${reply.n}`)
  }
  console.log(`${me}: done after ${ROUNDS} rounds`)
})

export default PingActor
