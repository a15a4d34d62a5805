// The projector: the live board on the big screen, read-only. It syncs with
// the viewer key from the address's fragment (never sent in a request line,
// so it stays out of server logs). `#key=…&replay` replays the board's
// history instead (replay.js); the fragment keeps the mode across a reload,
// and the browser's Back button leaves it.
import { h, mount, focusLater } from '../dom.js'
import { connectBoard } from '../sync.js'
import { call, roomApi } from '../api.js'
import { readRoom, ROOT } from '../board.js'
import { announceNow } from '../a11y.js'
import { boardView } from './board.js'
import { createReplay, replayView } from './replay.js'
import { stageSize } from './stage.js'

export function startProjector(root, code, key) {
  document.body.classList.add('projector-body')
  if (!key) {
    document.title = 'Projector – Touchpoint'
    mount(root, () => h('main', { class: 'page' },
      h('h1', null, 'This projector link is missing its key'),
      h('p', null, 'Open the projector from the facilitator console, with the “Open the projector” button.')))
    return
  }
  let app = null
  let replay = null
  const board = connectBoard(code, key, () => app && app.schedule())
  // One request for the server's clock (its Date header), so the timer agrees with the phones'.
  call('GET', roomApi(code)).catch(() => {})
  const fragment = (replaying) => `#key=${encodeURIComponent(key)}${replaying ? '&replay' : ''}`

  // The fragment says which mode the page is in; every way in and out goes through it.
  function followFragment() {
    const wanted = new URLSearchParams(location.hash.slice(1)).has('replay')
    document.title = wanted ? 'Replay – Projector – Touchpoint' : 'Projector – Touchpoint'
    if (wanted === !!replay) return
    if (wanted) {
      replay = createReplay(code, key, () => app && app.schedule(), board.doc)
      focusLater('#replay-bar')
    } else {
      replay.close()
      replay = null
      announceNow('Showing the live board.')
      focusLater('#replay-open')
    }
    if (app) app.schedule()
  }
  window.addEventListener('hashchange', followFragment)
  followFragment()

  app = mount(root, () => {
    if (replay) {
      return h('main', { class: 'projector replaying', id: 'main' },
        replayView(replay, code, () => { location.hash = fragment(false) }))
    }
    const room = board.synced || board.doc.getMap(ROOT.ROOM).size ? readRoom(board.doc) : null
    return h('main', { class: 'projector', id: 'main' },
      room ? boardView(board.doc, room, { code, level: 1, stage: stageSize() }) : h('h1', null, 'Connecting to the room…'),
      board.status !== 'online' ? h('p', { class: 'connection-lost' }, board.status === 'connecting' ? 'Connecting…' : 'Connection lost: reconnecting') : null,
      room ? h('p', { class: 'replay-open' },
        h('button', { type: 'button', id: 'replay-open', class: 'button secondary small', onclick: () => { location.hash = fragment(true) } }, 'Replay the board')) : null)
  })
  setInterval(() => app.schedule(), 1000)
}
