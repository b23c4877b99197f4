/** A fenced code block of a Markdown file. */
export interface CodeBlock {
  /** The line of its opening fence, counted from 1. */
  readonly line: number
  /** The first word of the info string: `ts`, `sh`, or `''`. */
  readonly language: string
  /** The words after the language, such as `fragment` in ```` ```ts fragment ````. */
  readonly flags: readonly string[]
  readonly code: string
}

const openingFence = /^(`{3,}|~{3,})\s*([^`]*)$/
const closingFence = /^(`{3,}|~{3,})\s*$/

/** The fenced code blocks of `markdown`, in order. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const opening = openingFence.exec(lines[i] ?? '')
    if (opening === null) continue
    const fence = opening[1] ?? '```'
    const [language = '', ...flags] = (opening[2] ?? '').trim().split(/\s+/).filter(Boolean)
    const body: string[] = []
    let j = i + 1
    for (; j < lines.length; j++) {
      const line = lines[j] ?? ''
      const closing = closingFence.exec(line)?.[1]
      if (closing !== undefined && closing[0] === fence[0] && closing.length >= fence.length) break
      body.push(line)
    }
    blocks.push({ line: i + 1, language, flags, code: `${body.join('\n')}\n` })
    i = j
  }
  return blocks
}

const arrowComment = /\/\/ → (.*)$/

/**
 * What a block says it prints: the text of each trailing `// → text` comment, in order. Each is
 * one whole line of standard output; `…` in it stands for any text.
 */
export function expectedOutput(code: string): string[] {
  return code
    .split('\n')
    .map((line) => arrowComment.exec(line)?.[1]?.trim())
    .filter((text): text is string => text !== undefined && text !== '')
}

/** Whether one line of output is the `expected` line (`…` standing for any text). */
export function lineMatches(line: string, expected: string): boolean {
  const pattern = expected
    .split('…')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*')
  return new RegExp(`^${pattern}$`).test(line.trim())
}

/**
 * The first of the `expected` lines that `stdout` does not print in that order (other lines may
 * come between them), or `undefined` when it prints them all.
 */
export function firstMissingLine(stdout: string, expected: readonly string[]): string | undefined {
  const lines = stdout.split('\n')
  let at = 0
  for (const want of expected) {
    while (at < lines.length && !lineMatches(lines[at] ?? '', want)) at++
    if (at === lines.length) return want
    at++
  }
  return undefined
}
