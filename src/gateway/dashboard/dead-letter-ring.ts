import type { DeadLetterReason, Ref } from '../../index.ts'

/** A dead letter as the dashboard lists it: where it went, why, and a short preview of it. */
export interface DeadLetterView {
  /** When it was seen (ms since the epoch). */
  at: number
  to: string
  sender: string | undefined
  reason: DeadLetterReason
  /** The message as short text (JSON when it can be, cut at 120 characters). */
  message: string
}

const PREVIEW_CHARS = 120

/** The last `capacity` dead letters, oldest first; older ones are overwritten. */
export class DeadLetterRing {
  private readonly slots: (DeadLetterView | undefined)[]
  private next = 0
  private count = 0

  constructor(readonly capacity: number) {
    this.slots = new Array(capacity)
  }

  add(to: Ref, message: unknown, sender: Ref | undefined, reason: DeadLetterReason): DeadLetterView {
    const view: DeadLetterView = {
      at: Date.now(),
      to: to.path,
      sender: sender?.address,
      reason,
      message: preview(message),
    }
    this.slots[this.next] = view
    this.next = (this.next + 1) % this.capacity
    this.count = Math.min(this.count + 1, this.capacity)
    return view
  }

  /** The dead letters held, oldest first. */
  list(): DeadLetterView[] {
    const out: DeadLetterView[] = []
    const start = (this.next - this.count + this.capacity) % this.capacity
    for (let i = 0; i < this.count; i++) out.push(this.slots[(start + i) % this.capacity]!)
    return out
  }
}

/** A message as short text: what a stranger's message holds may be anything, so nothing here throws. */
function preview(message: unknown): string {
  let text: string
  try {
    text =
      typeof message === 'string' ? JSON.stringify(message) : (JSON.stringify(message) ?? String(message))
  } catch {
    try {
      text = String(message)
    } catch {
      text = Object.prototype.toString.call(message)
    }
  }
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS - 1)}…` : text
}
