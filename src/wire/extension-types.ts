/**
 * The msgpack extension types a Troupe frame may contain, as the type byte that follows an `ext`
 * header. Two are Troupe's own; the others are msgpackr's built-ins, which the codec uses for
 * the types it carries (`moreTypes`). Every other extension type is refused on decode.
 */
export const ExtensionType = {
  /** msgpackr: `undefined` (`d4 00 00`), so that it survives inside objects and arrays. */
  undefined: 0x00,
  /** msgpackr: an integer wider than 64 bits (smaller bigints are msgpack int64/uint64). */
  bigint: 0x42,
  /** Troupe: an `Error`, followed by its wire form (name, message, stack, props, cause, errors). */
  error: 0x45,
  /** Troupe: a ref, followed by its address string; decoded through `resolveRef`. */
  ref: 0x52,
  /** msgpackr: a record definition (field names, then the first record's values). */
  record: 0x72,
  /** msgpackr: a `Set`, followed by the array of its values. */
  set: 0x73,
  /** msgpackr: a typed array, `ArrayBuffer` or `DataView`: a type code, then the bytes. */
  typedArray: 0x74,
  /** msgpackr: a `RegExp`, followed by `[source, flags]`. */
  regexp: 0x78,
  /** msgpack: a timestamp (type -1), what `Date` is encoded as. */
  timestamp: 0xff,
} as const
