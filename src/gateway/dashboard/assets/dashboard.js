// The dashboard page: loads the tree a page at a time, then follows the live stream's deltas.
// Plain DOM, no framework and no inline script, so the page works under `default-src 'self'`.
// The other nodes' trees are in node-trees.js.

import { onRemoteActor, renderMembers as renderNodes } from './node-trees.js'

const API = '/dashboard/api'
const PAGE = 100
/** Parents with at most this many children open by themselves down to AUTO_OPEN_DEPTH. */
const AUTO_OPEN_CHILDREN = 50
const AUTO_OPEN_DEPTH = 2
const ROOT = '/user'
/** How often the rows shown are reloaded while deltas leave changes out. */
const REFRESH_EVERY_MS = 2000

const $ = (id) => document.getElementById(id)
/** The tree nodes shown, by path: { row, li, rowEl, childrenEl, moreEl, open, shown, total } */
const nodes = new Map()
let selected = null
/** The actor of another node shown in the details, as its node's tree last read it. */
let remoteSelected = null

function el(tag, className, text) {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = String(text)
  return node
}

async function getJson(path) {
  const response = await fetch(API + path, { headers: { accept: 'application/json' } })
  if (!response.ok) throw new Error(`${path}: ${response.status}`)
  return response.json()
}

async function postJson(path, body) {
  const response = await fetch(API + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { ok: response.ok, body: await response.json().catch(() => ({})) }
}

const depthOf = (path) => path.split('/').length - 2

// The tree

function rootNode() {
  const tree = $('tree')
  tree.replaceChildren()
  nodes.clear()
  const row = { path: ROOT, name: 'user', parent: '', childCount: 0, queued: 0, rate: 0, restarts: 0 }
  const node = makeNode(row)
  tree.append(node.li)
  return node
}

function makeNode(row) {
  const li = el('li')
  li.dataset.path = row.path
  const rowEl = el('div', 'row')
  const name = el('span', 'name')
  const toggle = el('span', 'toggle')
  const label = el('span', 'label', row.name)
  const count = el('span', 'count')
  const error = el('span', 'err')
  name.append(toggle, label, ' ', count, ' ', error)
  rowEl.append(name, el('span', 'num queued'), el('span', 'num rate'), el('span', 'num restarts'))
  const childrenEl = el('ul', 'children')
  childrenEl.hidden = true
  li.append(rowEl, childrenEl)
  const node = { row, li, rowEl, childrenEl, moreEl: null, open: false, shown: 0, total: row.childCount }
  nodes.set(row.path, node)
  rowEl.addEventListener('click', (event) => {
    if (event.target === toggle) void toggleNode(node)
    else void select(row.path)
  })
  paint(node)
  return node
}

function paint(node) {
  const { row, rowEl } = node
  const [name, queued, rate, restarts] = rowEl.children
  name.querySelector('.toggle').textContent = node.total > 0 ? (node.open ? '▾' : '▸') : ''
  name.querySelector('.count').textContent = node.total > 0 ? `(${node.total})` : ''
  name.querySelector('.err').textContent = row.lastError ? '⚠' : ''
  name.querySelector('.err').title = row.lastError ?? ''
  if (row.path === ROOT) return
  queued.textContent = row.queued
  queued.classList.toggle('hot', row.queued >= 100)
  rate.textContent = row.rate
  restarts.textContent = row.restarts
  restarts.classList.toggle('err', row.restarts > 0)
}

async function toggleNode(node) {
  if (node.open) {
    node.open = false
    node.childrenEl.hidden = true
    paint(node)
    return
  }
  await openNode(node)
}

async function openNode(node) {
  node.open = true
  node.childrenEl.hidden = false
  if (node.shown === 0) await loadMore(node)
  paint(node)
}

async function loadMore(node) {
  const page = await getJson(
    `/children?parent=${encodeURIComponent(node.row.path)}&offset=${node.shown}&limit=${PAGE}`,
  )
  node.total = page.total
  for (const row of page.rows) addChild(node, row)
  showMore(node)
  for (const row of page.rows) {
    const child = nodes.get(row.path)
    if (
      child &&
      row.childCount > 0 &&
      row.childCount <= AUTO_OPEN_CHILDREN &&
      depthOf(row.path) < AUTO_OPEN_DEPTH
    )
      await openNode(child)
  }
}

function addChild(parent, row) {
  if (nodes.has(row.path)) return
  const child = makeNode(row)
  parent.childrenEl.insertBefore(child.li, parent.moreEl)
  parent.shown++
}

function showMore(node) {
  const rest = node.total - node.shown
  if (rest <= 0) {
    node.moreEl?.remove()
    node.moreEl = null
    return
  }
  if (!node.moreEl) {
    node.moreEl = el('li', 'more')
    node.moreEl.addEventListener('click', () => void loadMore(node))
    node.childrenEl.append(node.moreEl)
  }
  node.moreEl.textContent = `${rest} more…`
}

function removeNode(path) {
  const node = nodes.get(path)
  if (!node) return
  for (const key of [...nodes.keys()]) if (key.startsWith(`${path}/`)) nodes.delete(key)
  nodes.delete(path)
  node.li.remove()
  const parent = nodes.get(node.row.parent)
  if (parent) {
    parent.shown = Math.max(0, parent.shown - 1)
    parent.total = Math.max(0, parent.total - 1)
    showMore(parent)
    paint(parent)
  }
  if (selected === path) showStopped(path)
}

function spawned(row) {
  const parent = nodes.get(row.parent)
  // Already shown: the page loaded after the spawn, and before this delta.
  if (!parent || nodes.has(row.path)) return
  // Shown only where the whole list is shown; elsewhere the parent's count says it.
  const complete = parent.shown === parent.total
  parent.total++
  if (parent.open && complete) addChild(parent, row)
  showMore(parent)
  paint(parent)
}

function changed(row) {
  const node = nodes.get(row.path)
  if (node) {
    node.row = row
    node.total = row.childCount
    paint(node)
  }
  if (selected === row.path) showDetails(row)
}

async function reloadTree() {
  const open = [...nodes.values()].filter((n) => n.open).map((n) => n.row.path)
  const root = rootNode()
  await openNode(root)
  for (const path of open) {
    const node = nodes.get(path)
    if (node && !node.open) await openNode(node)
  }
  if (selected) void select(selected)
}

// Details and actions

async function select(path) {
  nodes.get(selected)?.rowEl.classList.remove('selected')
  unselectRemote()
  selected = path
  nodes.get(path)?.rowEl.classList.add('selected')
  $('action-result').textContent = ''
  try {
    showDetails(await getJson(`/actor?path=${encodeURIComponent(path)}`))
  } catch {
    showStopped(path)
  }
}

function showDetails(row) {
  $('details-empty').hidden = true
  $('details-body').hidden = false
  $('d-address').textContent = row.address
  $('d-parent').textContent = row.parent
  $('d-children').textContent = row.childCount
  $('d-queued').textContent = row.queued
  $('d-rate').textContent = row.rate
  $('d-restarts').textContent = row.restarts
  $('d-error').textContent = row.lastError
    ? `${row.lastError} (${new Date(row.lastErrorAt).toLocaleTimeString()})`
    : row.node === undefined
      ? 'none seen'
      : 'not known here (the errors of another node are seen on its own dashboard)'
  // Rows from the stream carry no state: only a click (which asks for the snapshot) changes it.
  if (row.state !== undefined) {
    const state = $('d-state')
    state.classList.toggle('muted', !('snapshot' in row.state))
    state.textContent = 'snapshot' in row.state ? JSON.stringify(row.state.snapshot, null, 2) : row.state.none
  }
  $('kill').disabled = false
  // system.restart restarts an actor of this node only (through its supervisor here).
  const remote = row.node !== undefined
  $('restart').disabled = remote
  $('restart').title = remote ? 'Restart works on the actors of this node only' : ''
}

// Details and actions of another node's actors

async function selectRemote(row) {
  nodes.get(selected)?.rowEl.classList.remove('selected')
  selected = null
  unselectRemote()
  remoteSelected = row
  rowOfRemote(row)?.classList.add('selected')
  $('action-result').textContent = ''
  showDetails(remoteDetails(row))
  try {
    const actor = await getJson(nodePath(row.node, `/actor?path=${encodeURIComponent(row.path)}`))
    if (remoteSelected?.path === row.path && remoteSelected.node === row.node)
      showDetails(remoteDetails(remoteSelected, actor.state))
  } catch {
    if (remoteSelected === row) showStopped(row.path)
  }
}

function unselectRemote() {
  if (remoteSelected) rowOfRemote(remoteSelected)?.classList.remove('selected')
  remoteSelected = null
}

const nodePath = (node, rest) => `/nodes/${encodeURIComponent(node)}${rest}`

function rowOfRemote({ node, path }) {
  return document.querySelector(
    `li[data-node="${CSS.escape(node)}"] li[data-remote-path="${CSS.escape(path)}"] > .row`,
  )
}

/** A row of another node's tree as the details show it: it has no last error to show. */
function remoteDetails(row, state) {
  return {
    ...row,
    address: `troupe://${row.node}${row.path}`,
    lastError: undefined,
    ...(state === undefined ? {} : { state }),
  }
}

onRemoteActor({
  select: (row) => void selectRemote(row),
  changed: (row) => {
    if (remoteSelected?.node !== row.node || remoteSelected.path !== row.path) return
    remoteSelected = row
    showDetails(remoteDetails(row))
  },
  stopped: (node, path) => {
    if (remoteSelected?.node === node && remoteSelected.path === path) showStopped(path)
  },
})

function showStopped(path) {
  $('action-result').textContent = `${path} stopped`
  $('kill').disabled = true
  $('restart').disabled = true
}

$('kill').addEventListener('click', async () => {
  if (remoteSelected) {
    const { node, path } = remoteSelected
    const { ok, body } = await postJson(nodePath(node, '/actor/kill'), { path })
    $('action-result').textContent = ok ? 'killed' : (body.error ?? 'failed')
    return
  }
  if (!selected) return
  const { ok, body } = await postJson('/actor/kill', { path: selected })
  $('action-result').textContent = ok ? (body.killed ? 'killed' : 'stopping…') : (body.error ?? 'failed')
})

$('restart').addEventListener('click', async () => {
  if (!selected || remoteSelected) return
  const { ok, body } = await postJson('/actor/restart', { path: selected })
  $('action-result').textContent = ok
    ? body.restarted
      ? 'restarting'
      : 'not running'
    : (body.error ?? 'failed')
})

// Lists

function renderTop(top) {
  for (const [measure, list] of Object.entries(top)) {
    const ol = $(`top-${measure}`)
    ol.replaceChildren(
      ...list.map((row) => {
        const li = el('li')
        li.append(el('span', 'name', row.path), el('span', 'num', row[measure]))
        li.addEventListener('click', () => void select(row.path))
        return li
      }),
    )
  }
}

function addDeadLetters(list) {
  const body = $('dead-letters')
  for (const letter of list) {
    const tr = el('tr')
    tr.append(
      el('td', '', new Date(letter.at).toLocaleTimeString()),
      el('td', '', letter.to),
      el('td', '', letter.reason),
      el('td', '', letter.message),
    )
    for (const td of tr.children) td.title = td.textContent
    body.prepend(tr)
  }
  while (body.children.length > 100) body.lastElementChild.remove()
}

function renderMembers(members) {
  renderNodes($('members'), members)
}

function counts(actors, deadLetters, viewers) {
  $('actor-count').textContent = actors
  $('dead-letter-count').textContent = deadLetters
  $('viewer-count').textContent = viewers
}

// Loading, then following the stream

async function loadAll() {
  const overview = await getJson('/overview')
  $('node').textContent = overview.node
  document.title = `Troupe: ${overview.node}`
  counts(overview.actors, overview.deadLetters, overview.viewers)
  renderMembers(overview.members)
  await reloadTree()
  renderTop(await getJson('/top'))
  const letters = await getJson('/dead-letters')
  $('dead-letters').replaceChildren()
  addDeadLetters(letters.recent)
}

/** Reloads the figures of the rows shown: a delta lists only so many changed actors. */
let lastRefresh = 0
async function refreshShown() {
  if (Date.now() - lastRefresh < REFRESH_EVERY_MS) return
  lastRefresh = Date.now()
  for (const node of [...nodes.values()]) {
    if (!node.open || node.shown === 0) continue
    const page = await getJson(
      `/children?parent=${encodeURIComponent(node.row.path)}&offset=0&limit=${Math.min(node.shown, 500)}`,
    )
    for (const row of page.rows) changed(row)
  }
}

function applyDelta(delta) {
  counts(delta.actors, delta.deadLetters, delta.viewers)
  if (delta.resynced) void reloadTree()
  for (const path of delta.stopped) removeNode(path)
  for (const row of delta.spawned) spawned(row)
  for (const row of delta.changed) changed(row)
  for (const [path, rate] of delta.rates ?? []) {
    const node = nodes.get(path)
    if (node) changed({ ...node.row, rate })
  }
  if (delta.top) renderTop(delta.top)
  if (delta.members) renderMembers(delta.members)
  addDeadLetters(delta.newDeadLetters)
  if (delta.more > 0) void refreshShown().catch(() => {})
  document.body.dataset.lastDelta = String(Date.now())
}

function connect() {
  const status = $('status')
  const events = new EventSource(`${API}/events`)
  // Deltas that arrive while the page loads wait, and are applied in order after it.
  let loading = null
  events.addEventListener('hello', () => {
    status.textContent = 'live'
    status.className = 'status live'
    loading = loadAll()
      .catch((error) => {
        status.textContent = `error: ${error.message}`
      })
      .then(() => {
        document.body.dataset.ready = 'true'
      })
  })
  events.addEventListener('delta', (message) => {
    const delta = JSON.parse(message.data)
    void (loading ?? Promise.resolve()).then(() => applyDelta(delta))
  })
  events.addEventListener('error', () => {
    status.textContent = 'offline, reconnecting…'
    status.className = 'status offline'
  })
}

connect()
