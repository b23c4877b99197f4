// A JavaScript program that has a child node load a TypeScript module, in a project without tsx:
// prints what starting each child node gave.
import { start, startChildNode, TsxNotFoundError } from 'troupe'

const system = await start({ logLevel: 'warn' })
try {
  for (const place of ['process', 'thread']) {
    const modules = [new URL('./greeter.ts', import.meta.url)]
    try {
      const child = await startChildNode(system, { in: place, modules })
      console.log(`${place}: started ${child.node}`)
      await child.stop()
    } catch (error) {
      console.log(
        `${place}: ${error instanceof TsxNotFoundError ? 'TsxNotFoundError' : 'other'}: ${error.message}`,
      )
    }
  }
} finally {
  await system.shutdown()
}
