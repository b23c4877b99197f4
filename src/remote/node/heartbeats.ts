import type { Logger } from 'pino'
import type { NodeConnections } from './node-connections.ts'
import type { LivenessOptions } from './remote-node.ts'

/**
 * Failure detection: every interval, each live peer gets a ping, and one that sent nothing within
 * the timeout is declared down (its watchers get `Terminated` with reason `node-down`).
 */
export class Heartbeats {
  private readonly timer: NodeJS.Timeout

  constructor(
    private readonly connections: NodeConnections,
    private readonly liveness: Required<LivenessOptions>,
    private readonly logger: Logger,
  ) {
    this.timer = setInterval(() => this.beat(), liveness.heartbeatIntervalMs)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
  }

  private beat(): void {
    const now = Date.now()
    for (const peer of this.connections.livePeers()) {
      if (now - peer.lastSeen > this.liveness.heartbeatTimeoutMs) {
        this.logger.warn(`node ${peer.node} sent nothing for ${now - peer.lastSeen} ms: declaring it down`)
        this.connections.declareDown(peer, `no heartbeat within ${this.liveness.heartbeatTimeoutMs} ms`)
      } else {
        peer.send({ kind: 'ping', at: now })
      }
    }
  }
}
