/** C0 controls, DEL and C1 controls: what a terminal may act on instead of showing. */
const CONTROL = /\p{Cc}/gu

const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

function escaped(char: string): string {
  return named[char] ?? `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`
}

/**
 * `text` with its control characters written out (`\n`, `\r`, `\t`, else `\x1b` and the like):
 * what to put in a log line of any text that may come from elsewhere (a peer's node name, a
 * refusal's reason, an error message from another node), so that it can neither start a line
 * of its own nor colour or move the terminal's cursor. Other text is returned as it is.
 *
 * @example
 * ```ts
 * escapeControl('evil\n\u001b[31mERROR fake') // 'evil\\n\\x1b[31mERROR fake'
 * ```
 */
export function escapeControl(text: string): string {
  CONTROL.lastIndex = 0
  return CONTROL.test(text) ? text.replace(CONTROL, escaped) : text
}

/** Characters that JSON leaves raw in its strings but a terminal may act on: DEL and the C1 controls. */
const JSON_RAW_CONTROL = /[\u007f-\u009f]/g

/**
 * A JSON text with DEL and the C1 controls in its strings written as `\u` escapes (JSON escapes
 * the C0 ones already); it parses to the same value. Outside strings JSON has no such characters.
 */
export function escapeJsonControl(json: string): string {
  JSON_RAW_CONTROL.lastIndex = 0
  return JSON_RAW_CONTROL.test(json)
    ? json.replace(JSON_RAW_CONTROL, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
    : json
}
