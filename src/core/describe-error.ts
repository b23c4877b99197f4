/** What {@link describeError} says of an error. */
export interface DescribeErrorOptions {
  /**
   * Say the error's name before its message (`TypeError: …`); without it, the message alone (the
   * name when the message is empty).
   * @default true
   */
  name?: boolean
  /**
   * Only the first line of a message of several lines.
   * @default false
   */
  firstLine?: boolean
}

/**
 * The name and message of anything thrown: an `Error`'s own, else the value's type and text (even
 * for a value whose `toString` throws, as a hostile or broken one may).
 */
export function errorParts(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: String(error.name), message: String(error.message) }
  try {
    return { name: typeof error, message: String(error) }
  } catch {
    return { name: typeof error, message: Object.prototype.toString.call(error) }
  }
}

/** An error as text for a log line or a message: `Name: message`, or less as `options` say. */
export function describeError(error: unknown, options: DescribeErrorOptions = {}): string {
  if (!(error instanceof Error)) return errorParts(error).message
  const { name, message } = errorParts(error)
  const text = options.firstLine === true ? (message.split('\n')[0] ?? '') : message
  if (options.name === false) return text === '' ? name : text
  return text === '' ? name : `${name}: ${text}`
}
