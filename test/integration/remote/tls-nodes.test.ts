import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ActorSystem, defineActor, NodeDownError, start } from 'troupe'
import { freePort } from 'troupe/testkit'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { hasOpenssl, makePki } from '../../support/pki.ts'

const Echo = defineActor<string>({ receive: (_s, m, ctx) => ctx.reply(`echo ${m}`) })
const cookie = 'tls-nodes-cookie'
const systems: ActorSystem[] = []
const dir = mkdtempSync(join(tmpdir(), 'troupe-tls-nodes-'))

afterEach(async () => {
  await Promise.all(systems.splice(0).map((s) => s.shutdown()))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function node(name: string, tls?: { key: string; cert: string; ca: string }): Promise<ActorSystem> {
  const system = await start({
    node: `${name}@127.0.0.1:${await freePort()}`,
    cookie,
    logLevel: 'silent',
    ...(tls === undefined ? {} : { tls }),
  })
  systems.push(system)
  system.expose({ Echo })
  return system
}

describe.skipIf(!hasOpenssl)('nodes over TLS (skipped only when openssl is missing)', () => {
  it('two nodes with certificates of one CA talk', async () => {
    const pki = makePki(dir, 'cluster')
    const a = await node('a', { ...pki.issue('a'), ca: pki.ca })
    const b = await node('b', { ...pki.issue('b'), ca: pki.ca })
    const echo = a.spawn(Echo, { on: b.node })
    expect(await echo.ask('over tls')).toBe('echo over tls')
  })

  it('a node without TLS cannot reach a TLS node', async () => {
    const pki = makePki(dir, 'strict')
    const secure = await node('secure', { ...pki.issue('secure'), ca: pki.ca })
    const plain = await node('plain')
    const ref = plain.refOf<string>(`troupe://${secure.node}/user/nobody`)
    await expect(ref.ask('hello', { timeout: 5000 })).rejects.toBeInstanceOf(NodeDownError)
  })
})
