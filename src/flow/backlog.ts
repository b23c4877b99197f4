// Backpressure in one thread without a promise per event. `ref.send` waits for room in a full
// inbox, but it makes a promise per event, and a component whose emit returns a promise holds its
// actor until the next microtask: the event costs a turn of its own. Towards a component in the
// same thread a sender therefore counts what it has queued there, on a backlog the director
// shares among that thread's actors (as it shares their counts): while the count says there is
// room, `tell` queues the event at once (and, with room, does what `send` would); once it does
// not, the sender falls back to `send` and waits. The receiving actor counts an event off as it
// takes it.

/** What senders of the director's thread have queued in one component's inbox. */
export interface Backlog {
  /** Events sent (or waiting to be let in) and not yet taken by the component. */
  queued: number
  /**
   * The inbox's capacity, less one place for a message of the director's (`start`, `stop`):
   * `tell` is used while `queued` stays under it. 0 when senders elsewhere feed the inbox too,
   * whose events this count does not see: then every event is sent with `send`.
   */
  readonly room: number
  /** False once the component is stopping: a send then rejects, as it must, instead of a tell. */
  open: boolean
}

/** A backlog for an inbox of `capacity` events; `shared`: senders of other threads feed it too. */
export function backlogOf(capacity: number, shared: boolean): Backlog {
  return { queued: 0, room: shared ? 0 : capacity - 1, open: true }
}
