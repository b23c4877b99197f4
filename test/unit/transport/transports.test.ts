import { describe, expect, it } from 'vitest'
import { chosenTransport } from '../../../src/node/transports.ts'
import { ConnectError } from '../../../src/transport/errors.ts'
import { InProcessNetwork } from '../../../src/transport/in-process/index.ts'
import { linkTransport } from '../../../src/transport/link-transport.ts'
import type { Connection } from '../../../src/transport/transport.ts'
import { FrameTooLargeError } from '../../../src/wire/errors.ts'

const settings = (node: string) => ({ node, incarnation: `${node}-1`, cookie: 'c' })

describe('the in-process network as a Transport', () => {
  it('holds the connections a peer opens until the node takes them, and carries frames both ways', async () => {
    const network = new InProcessNetwork()
    const a = await network.open(settings('a'))
    const b = await network.open(settings('b'))
    expect(a.listening).toBeUndefined()
    const toB = await a.connect(undefined, 'b')
    toB.send(Buffer.from('early'))
    const accepted = await new Promise<Connection>((resolve) => b.onConnection(resolve))
    expect(accepted.peer).toEqual({ node: 'a', incarnation: 'a-1' })
    expect(toB.peer).toEqual({ node: 'b', incarnation: 'b-1' })
    const first = await new Promise<string>((resolve) =>
      accepted.onFrame((body) => resolve(Buffer.from(body).toString())),
    )
    expect(first).toBe('early')
    await a.close()
    expect(await toB.closed()).toBeInstanceOf(Error)
    expect(await accepted.closed()).toBeUndefined()
  })

  it('refuses a node it does not know with a ConnectError, and closes a connection that carries a frame over the limit', async () => {
    const network = new InProcessNetwork({ maxFrameBytes: 8 })
    const a = await network.open(settings('a'))
    await network.open(settings('b'))
    await expect(a.connect(undefined, 'c')).rejects.toBeInstanceOf(ConnectError)
    const toB = await a.connect(undefined, 'b')
    const [accepted] = network.connectionsOf('b')
    accepted!.send(Buffer.alloc(9))
    expect(await toB.closed()).toBeInstanceOf(FrameTooLargeError)
  })
})

describe('a link transport', () => {
  it('hands its one connection over once, and connects only to its fixed peer', async () => {
    const network = new InProcessNetwork()
    const parent = await network.open(settings('parent'))
    await network.open(settings('child'))
    const connection = await parent.connect(undefined, 'child')
    const link = linkTransport('thread', connection)
    const handed: Connection[] = []
    link.onConnection((c) => handed.push(c))
    link.onConnection((c) => handed.push(c))
    expect(handed).toEqual([connection])
    expect(await link.connect(undefined, 'child')).toBe(connection)
    await expect(link.connect(undefined, 'other')).rejects.toBeInstanceOf(ConnectError)
    await link.close()
    await expect(link.connect(undefined, 'child')).rejects.toBeInstanceOf(ConnectError)
  })
})

describe('the registration of transports', () => {
  it('chooses TCP unless an option chooses another', () => {
    expect(chosenTransport({})).toBe('tcp')
    expect(chosenTransport({ network: new InProcessNetwork() })).toBe('network')
  })
})
