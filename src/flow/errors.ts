import { TroupeError } from '../index.ts'

/**
 * A failure that stands for an HTTP status: thrown by a component (`BasicAuth` throws one with
 * 401), it reaches the error route with its `status`, and `Http` answers with it.
 */
export class StatusError extends TroupeError {
  constructor(
    /** The HTTP status, 400 to 599. */
    readonly status: number,
    message: string,
    /** Headers the response carries (`www-authenticate` for a 401). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message)
  }
}

/** A graph that cannot run: an unknown component or box, a dangling connection, a cycle with no exit. */
export class GraphError extends TroupeError {
  constructor(
    message: string,
    /** Where in a graph file the problem is, when it came from one (1-based). */
    readonly line?: number,
    /** The component it is about, when there is one. */
    readonly component?: string,
  ) {
    super(line === undefined ? message : `line ${line}: ${message}`)
  }
}

/** A component failed to start: the graph did not start (what had started was stopped). */
export class ComponentStartError extends TroupeError {
  constructor(
    /** The component's name in the graph. */
    readonly component: string,
    cause: unknown,
  ) {
    super(
      `component '${component}' failed to start: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    )
  }
}
