import { readFile } from 'node:fs/promises'
import { whenAborted } from './cli-context.ts'
import { CommandFailedError, describeError, UsageError } from './cli-errors.ts'

/** Where the message of `troupe send` comes from. */
export type MessageSource =
  | { kind: 'argument'; text: string }
  | { kind: 'file'; path: string }
  | { kind: 'stdin' }

/**
 * The source `troupe send` was given: the `<json>` argument, `--file <path>`, or standard input
 * for a `<json>` (or a `--file`) of `-`. Exactly one of the two must be given.
 */
export function messageSourceOf(json: string | undefined, file: string | undefined): MessageSource {
  if (json !== undefined && file !== undefined)
    throw new UsageError('give the message as <json> or with --file, not both')
  if (file !== undefined) return file === '-' ? { kind: 'stdin' } : { kind: 'file', path: file }
  if (json === undefined)
    throw new UsageError(
      'missing the message: give it as <json>, as - to read standard input, or with --file',
    )
  return json === '-' ? { kind: 'stdin' } : { kind: 'argument', text: json }
}

/** What {@link readMessage} reads standard input from, and what stops it. */
export interface ReadMessageOptions {
  /** @default process.stdin */
  stdin?: NodeJS.ReadableStream
  /** Aborting it ends the read: {@link readMessage} then resolves `undefined`. */
  signal: AbortSignal
}

/**
 * Reads the message text from its source and parses it as JSON. A file that cannot be read and
 * text that is not JSON are {@link UsageError}s naming the source; `undefined` means the read was
 * interrupted.
 */
export async function readMessage(
  source: MessageSource,
  options: ReadMessageOptions,
): Promise<{ message: unknown } | undefined> {
  let text: string
  if (source.kind === 'argument') text = source.text
  else if (source.kind === 'file') {
    try {
      text = await readFile(source.path, 'utf8')
    } catch (error) {
      throw new UsageError(`--file ${source.path}: ${describeError(error)}`, { cause: error })
    }
  } else {
    const read = readAll(options.stdin ?? process.stdin)
    const interrupted = whenAborted(options.signal).then(() => undefined)
    const result = await Promise.race([read, interrupted])
    if (result === undefined) return undefined
    text = result
  }
  try {
    return { message: JSON.parse(text) as unknown }
  } catch (error) {
    throw new UsageError(`${describeSource(source)} is not valid JSON: ${describeError(error)}`, {
      cause: error,
    })
  }
}

function describeSource(source: MessageSource): string {
  if (source.kind === 'argument') return '<json>'
  if (source.kind === 'file') return `the message in ${source.path}`
  return 'the message on standard input'
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = []
  try {
    for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
  } catch (error) {
    throw new CommandFailedError(`cannot read standard input: ${describeError(error)}`, { cause: error })
  }
  return Buffer.concat(chunks).toString('utf8')
}
