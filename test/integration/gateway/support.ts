import { request as httpRequest } from 'node:http'
import { type ActorSystem, start } from 'troupe'
import { type Gateway, type GatewayOptions, startGateway } from 'troupe/gateway'
import { Counter, Echo } from '../../fixtures/gateway-actors.ts'

/** The types the tests' gateways spawn. */
export const types = {
  counter: {
    behavior: Counter,
    checkArgs: (args: unknown) =>
      args === undefined || Number.isInteger(args) ? undefined : 'expected an integer start, or nothing',
  },
  echo: Echo,
}

/** What a test started, stopped by `close` even when the test fails. */
export interface Opened {
  system: ActorSystem
  gateway: Gateway
  /** `fetch` on the gateway with the token (unless `headers.authorization` says otherwise) and JSON. */
  call(
    path: string,
    init?: { method?: string; body?: unknown; raw?: string; headers?: Record<string, string> },
  ): Promise<Response>
  close(): Promise<void>
}

/** A local system with a gateway on a free port, quiet. */
export async function openGateway(options: GatewayOptions = {}, system?: ActorSystem): Promise<Opened> {
  const sys = system ?? (await start({ logLevel: 'silent' }))
  let gateway: Gateway
  try {
    gateway = await startGateway(sys, { port: 0, types, announce: () => {}, ...options })
  } catch (error) {
    if (system === undefined) await sys.shutdown()
    throw error
  }
  return {
    system: sys,
    gateway,
    call(path, init = {}) {
      const body = init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body))
      return fetch(`${gateway.url}${path}`, {
        method: init.method ?? 'GET',
        headers: {
          authorization: `Bearer ${gateway.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...init.headers,
        },
        body,
        redirect: 'manual',
      })
    },
    async close() {
      await gateway.close()
      if (system === undefined) await sys.shutdown()
    },
  }
}

/** A request with headers fetch will not send as given (`Host`): its status, headers and body. */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

/** The problem document of a response, checked to be one. */
export async function problemOf(
  response: Response,
): Promise<{ type: string; title: string; status: number; detail: string; instance: string }> {
  const type = response.headers.get('content-type') ?? ''
  if (!type.startsWith('application/problem+json'))
    throw new Error(`not a problem response (${type}): ${await response.text()}`)
  const problem = (await response.json()) as {
    type: string
    title: string
    status: number
    detail: string
    instance: string
  }
  if (problem.status !== response.status)
    throw new Error(`the problem says ${problem.status}, the response ${response.status}`)
  if (JSON.stringify(problem).includes('    at '))
    throw new Error(`a stack trace in a problem: ${problem.detail}`)
  return problem
}
