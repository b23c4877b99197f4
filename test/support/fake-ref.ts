import { RefBase } from '../../src/core/ref.ts'

/** A ref of another node, as the remote layer would make one: enough to travel and compare. */
export class FakeRef extends RefBase {
  readonly path: string
  readonly name: string
  constructor(readonly address: string) {
    super()
    this.path = address.replace(/^troupe:\/\/[^/]+/, '')
    this.name = this.path.split('/').pop() ?? ''
  }
  tell(): void {}
  ask<R>(): Promise<R> {
    return Promise.reject(new Error('not connected'))
  }
  send(): Promise<void> {
    return Promise.resolve()
  }
}
