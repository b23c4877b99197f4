import { RefBase } from '../../core/ref.ts'
import type { ErrorEnvelope, ReplyEnvelope } from '../../wire/envelope.ts'

/** Stands for an asker on the peer's node: the reply (or why there is none) goes back over the wire. */
export class RemoteAskerRef extends RefBase {
  private answered = false

  constructor(
    private readonly answer: (envelope: ReplyEnvelope | ErrorEnvelope) => void,
    private readonly id: number,
    readonly address: string,
  ) {
    super()
  }

  get path(): string {
    return `${this.address}#ask`
  }

  get name(): string {
    return 'ask'
  }

  tell(message: unknown): void {
    if (this.answered) return
    this.answered = true
    this.answer({ kind: 'reply', id: this.id, message })
  }

  override failReply(error: unknown): void {
    if (this.answered) return
    this.answered = true
    this.answer({ kind: 'error', id: this.id, error })
  }

  ask<R>(): Promise<R> {
    return Promise.reject(new TypeError('an ask reply ref cannot be asked'))
  }

  send(message: unknown): Promise<void> {
    this.tell(message)
    return Promise.resolve()
  }
}
