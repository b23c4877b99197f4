// The raw floor of the child-node figures: a bare worker thread (MessagePort, structured clone)
// or a bare forked process (IPC, JSON), plain JavaScript so that nothing but Node loads. It says
// `ready` at once, echoes `{ i }` as `i + 1`, and answers `{ stream, batch }` with the numbers
// 0 … stream - 1 in arrays of `batch`.
import { parentPort } from 'node:worker_threads'

const send = parentPort ? (message) => parentPort.postMessage(message) : (message) => process.send(message)

function onMessage(message) {
  if (typeof message.i === 'number') {
    send(message.i + 1)
    return
  }
  const { stream, batch } = message
  for (let at = 0; at < stream; at += batch) {
    const items = []
    for (let i = at; i < Math.min(stream, at + batch); i++) items.push(i)
    send(items)
  }
}

if (parentPort) parentPort.on('message', onMessage)
else {
  process.on('message', onMessage)
  // Never outlive the parent.
  process.on('disconnect', () => process.exit(0))
}
send('ready')
