// The node list, and the supervision trees of the other nodes of the cluster (Erlang's observer on
// a remote node). This node's tree follows the live stream (dashboard.js); another node's is read
// a page per open parent (`system.observe` on the server), polled about once a second while it is
// shown, its messages per second computed from the deltas of `handled`.

const API = '/dashboard/api'
const POLL_MS = 1000
const PAGE = 100
/** The most children one poll asks of one parent (the server's cap of `system.observe`). */
const MAX_PAGE = 500
const ROOT = '/user'

/** The list items of the members, by node: { li, tree } (tree only for another node). */
const members = new Map()
let hooks = { select: () => {}, changed: () => {}, stopped: () => {} }

function el(tag, className, text) {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = String(text)
  return node
}

const nodeApi = (node, rest) => `${API}/nodes/${encodeURIComponent(node)}${rest}`

async function getJson(url) {
  const response = await fetch(url, { headers: { accept: 'application/json' } })
  const body = await response.json().catch(() => ({}))
  if (!response.ok) throw new Error(body.error ?? `${response.status}`)
  return body
}

/** Tells the node list what to do when an actor of another node is clicked, changes or stops. */
export function onRemoteActor(given) {
  hooks = { ...hooks, ...given }
}

/** Shows `list` (what `system.members()` gives), this node first; the open trees stay open. */
export function renderMembers(container, list) {
  const ordered = [...list].sort((a, b) => (a.self === b.self ? (a.node < b.node ? -1 : 1) : a.self ? -1 : 1))
  const seen = new Set(ordered.map((m) => m.node))
  for (const [node, member] of members) {
    if (seen.has(node)) continue
    member.tree?.close()
    member.li.remove()
    members.delete(node)
  }
  for (const m of ordered) {
    let member = members.get(m.node)
    if (!member) {
      member = m.self ? selfItem(m.node) : { li: null, tree: new NodeTree(m.node) }
      member.li ??= member.tree.li
      members.set(m.node, member)
    }
    container.append(member.li)
  }
}

function selfItem(node) {
  const li = el('li', 'member self')
  li.dataset.node = node
  li.append(el('span', 'toggle'), el('span', 'label', node))
  return { li, tree: null }
}

/** The tree of another node: open parents are polled while the node's item is open. */
class NodeTree {
  constructor(node) {
    this.node = node
    this.li = el('li', 'member')
    this.li.dataset.node = node
    const head = el('div', 'member-row')
    this.toggle = el('span', 'toggle', '▸')
    this.status = el('span', 'member-status muted')
    head.append(this.toggle, el('span', 'label', node), ' ', this.status)
    head.addEventListener('click', () => (this.open ? this.close() : this.show()))
    this.rootEl = el('ul', 'tree remote-tree')
    this.rootEl.hidden = true
    this.li.append(head, this.rootEl)
    this.open = false
    this.timer = null
    /** The actors shown, by path: { row, li, rowEl, childrenEl, moreEl, open, limit } */
    this.rows = new Map()
    this.root = { row: { path: ROOT }, childrenEl: this.rootEl, open: true, limit: PAGE, moreEl: null }
    /** The last `handled` seen of each actor, and when: for its messages per second. */
    this.last = new Map()
  }

  show() {
    this.open = true
    this.rootEl.hidden = false
    this.toggle.textContent = '▾'
    void this.poll()
  }

  close() {
    this.open = false
    this.rootEl.hidden = true
    this.toggle.textContent = '▸'
    clearTimeout(this.timer)
    this.timer = null
  }

  /** Reads a page of each open parent, then waits a second and reads again, while the tree is open. */
  async poll() {
    clearTimeout(this.timer)
    try {
      for (const parent of [this.root, ...[...this.rows.values()].filter((r) => r.open)]) {
        if (!this.open) return
        const { path } = parent.row
        const page = await getJson(
          nodeApi(this.node, `/children?parent=${encodeURIComponent(path)}&offset=0&limit=${parent.limit}`),
        )
        this.reconcile(parent, page)
      }
      this.status.textContent = ''
    } catch (error) {
      this.status.textContent = `⚠ ${error.message}`
    }
    if (this.open) this.timer = setTimeout(() => void this.poll(), POLL_MS)
  }

  /** Shows `page` as the children of `parent`: new ones added, gone ones dropped, figures updated. */
  reconcile(parent, page) {
    const now = performance.now()
    const paths = new Set(page.actors.map((a) => a.path))
    for (const [path, shown] of this.rows)
      if (shown.parentPath === parent.row.path && !paths.has(path)) this.drop(path)
    for (const actor of page.actors) {
      const before = this.last.get(actor.path)
      const seconds = before === undefined ? 0 : (now - before.at) / 1000
      const rate = seconds > 0 ? Math.max(0, Math.round((actor.handled - before.handled) / seconds)) : 0
      this.last.set(actor.path, { handled: actor.handled, at: now })
      const row = { ...actor, node: this.node, rate, parent: parent.row.path }
      let shown = this.rows.get(actor.path)
      if (!shown) {
        shown = this.add(parent, row)
      } else {
        shown.row = row
      }
      parent.childrenEl.insertBefore(shown.li, parent.moreEl)
      this.paint(shown)
      hooks.changed(row)
    }
    this.more(parent, page.total - page.actors.length)
  }

  add(parent, row) {
    const li = el('li')
    li.dataset.remotePath = row.path
    const rowEl = el('div', 'row')
    const name = el('span', 'name')
    name.append(el('span', 'toggle'), el('span', 'label', row.name), ' ', el('span', 'count'))
    rowEl.append(name, el('span', 'num queued'), el('span', 'num rate'), el('span', 'num restarts'))
    const childrenEl = el('ul', 'children')
    childrenEl.hidden = true
    li.append(rowEl, childrenEl)
    const shown = {
      row,
      li,
      rowEl,
      childrenEl,
      moreEl: null,
      open: false,
      limit: PAGE,
      parentPath: parent.row.path,
    }
    this.rows.set(row.path, shown)
    rowEl.addEventListener('click', (event) => {
      if (event.target === name.firstChild) this.toggleRow(shown)
      else hooks.select(shown.row)
    })
    return shown
  }

  toggleRow(shown) {
    if (shown.row.childCount === 0) return
    shown.open = !shown.open
    shown.childrenEl.hidden = !shown.open
    this.paint(shown)
    if (shown.open) void this.poll()
  }

  paint(shown) {
    const { row, rowEl } = shown
    const [name, queued, rate, restarts] = rowEl.children
    name.querySelector('.toggle').textContent = row.childCount > 0 ? (shown.open ? '▾' : '▸') : ''
    name.querySelector('.count').textContent = row.childCount > 0 ? `(${row.childCount})` : ''
    queued.textContent = row.queued
    queued.classList.toggle('hot', row.queued >= 100)
    rate.textContent = row.rate
    restarts.textContent = row.restarts
    restarts.classList.toggle('err', row.restarts > 0)
  }

  /** Says how many children are not shown; a click shows a page more (up to the server's cap). */
  more(parent, rest) {
    if (rest <= 0) {
      parent.moreEl?.remove()
      parent.moreEl = null
      return
    }
    if (!parent.moreEl) {
      parent.moreEl = el('li', 'more')
      parent.moreEl.addEventListener('click', () => {
        parent.limit = Math.min(MAX_PAGE, parent.limit + PAGE)
        void this.poll()
      })
      parent.childrenEl.append(parent.moreEl)
    }
    parent.moreEl.textContent = parent.limit >= MAX_PAGE ? `${rest} more (not shown)` : `${rest} more…`
  }

  drop(path) {
    for (const key of [...this.rows.keys()]) {
      if (key !== path && !key.startsWith(`${path}/`)) continue
      this.rows.get(key).li.remove()
      this.rows.delete(key)
      this.last.delete(key)
      hooks.stopped(this.node, key)
    }
  }
}
