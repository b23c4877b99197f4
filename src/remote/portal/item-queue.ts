/** Items read this far into the array before it is compacted (when also half of it is read). */
const COMPACT_AFTER = 1024

/**
 * A first-in first-out queue of received items: an array read from a moving head. The read part
 * is dropped once the head has passed half of the array, so a reader that never quite catches up
 * (it awaits between items while more arrive) keeps memory bounded by what is unread.
 */
export class ItemQueue<T> {
  private items: (T | undefined)[] = []
  private head = 0

  get length(): number {
    return this.items.length - this.head
  }

  push(item: T): void {
    this.items.push(item)
  }

  /** The oldest item; call only when `length > 0`. */
  shift(): T {
    const item = this.items[this.head] as T
    this.items[this.head++] = undefined
    if (this.head === this.items.length) this.clear()
    else if (this.head >= COMPACT_AFTER && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return item
  }

  clear(): void {
    this.items.length = 0
    this.head = 0
  }
}
