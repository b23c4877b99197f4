/**
 * The full-circle HTTP graph of `flow-http.ts`, from a YAML file (`flow/http.yaml`) instead of
 * code: the same components and connections, with the function it runs in a module the file names.
 *
 * Run: npx tsx --conditions=source examples/flow-graph-file.ts
 * (or the file itself: npx troupe flow examples/flow/http.yaml)
 */
import { readFile, rm, writeFile } from 'node:fs/promises'
import { start } from 'troupe'
import { loadGraph } from 'troupe/flow'
import { freePort } from 'troupe/testkit'

const system = await start({ logLevel: 'warn' })
// The file listens on 8080; this run takes a free port, in a copy of the file beside it.
const port = await freePort()
const source = new URL('./flow/http.yaml', import.meta.url)
const copy = new URL(`./flow/_http-${port}.yaml`, import.meta.url)
await writeFile(copy, (await readFile(source, 'utf8')).replace('port: 8080', `port: ${port}`))
try {
  const flow = await loadGraph(system, copy.pathname)
  console.log(`the graph: ${flow.describe().connections.join(', ')}`)
  await flow.start()
  const post = (body: string, user = 'ann:secret') =>
    fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(user).toString('base64')}`,
      },
      body,
    })
  const good = await post('{"n":12}')
  console.log(`ann asks for 12 squared: ${good.status} ${await good.text()}`)
  const wrong = await post('{"n":12}', 'ann:guess')
  console.log(`with a wrong password: ${wrong.status}`)
  const bad = await post('{"n":"twelve"}')
  console.log(`with no number: ${bad.status} ${await bad.text()}`)
  await flow.stop()
} finally {
  await rm(copy)
  await system.shutdown()
}
