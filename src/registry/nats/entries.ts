/** What the members bucket holds under a member's node name. */
export interface MemberEntry {
  readonly node: string
  readonly incarnation: string
  /** When it joined, in ms since the epoch. */
  readonly since: number
}

/** What the names bucket holds under a name: its owner and where the actor is. */
export interface NameEntry {
  readonly node: string
  readonly incarnation: string
  /** The actor's address, from which any node resolves its ref. */
  readonly address: string
  /** The revision of the owner's member key when it claimed the name: the fencing token. */
  readonly member: number
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export function encodeEntry(entry: MemberEntry | NameEntry): Uint8Array {
  return encoder.encode(JSON.stringify(entry))
}

/** A member entry, or `undefined` for bytes that are not one (written by something else). */
export function decodeMember(bytes: Uint8Array): MemberEntry | undefined {
  const value = parse(bytes)
  if (
    value === undefined ||
    typeof value.node !== 'string' ||
    typeof value.incarnation !== 'string' ||
    typeof value.since !== 'number'
  )
    return undefined
  return { node: value.node, incarnation: value.incarnation, since: value.since }
}

/** A name entry, or `undefined` for bytes that are not one. */
export function decodeName(bytes: Uint8Array): NameEntry | undefined {
  const value = parse(bytes)
  if (
    value === undefined ||
    typeof value.node !== 'string' ||
    typeof value.incarnation !== 'string' ||
    typeof value.address !== 'string' ||
    typeof value.member !== 'number'
  )
    return undefined
  return { node: value.node, incarnation: value.incarnation, address: value.address, member: value.member }
}

function parse(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(decoder.decode(bytes))
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}
