// The projector: the live board on the big screen, read-only. It syncs with
// the facilitator key from the address's fragment (never sent in a request
// line, so it stays out of server logs).
import { h, mount } from '../dom.js'
import { connectBoard } from '../sync.js'
import { call, roomApi } from '../api.js'
import { readRoom } from '../board.js'
import { boardView } from './board.js'

export function startProjector(root, code, key) {
  document.title = 'Projector – Touchpoint'
  document.body.classList.add('projector-body')
  if (!key) {
    mount(root, () => h('main', { class: 'page' },
      h('h1', null, 'This projector link is missing its key'),
      h('p', null, 'Open the projector from the facilitator console, with the “Open the projector” button.')))
    return
  }
  let app = null
  const board = connectBoard(code, key, () => app && app.schedule())
  // One request for the server's clock (its Date header), so the timer agrees with the phones'.
  call('GET', roomApi(code)).catch(() => {})
  app = mount(root, () => {
    const room = board.synced || board.doc.getMap('room').size ? readRoom(board.doc) : null
    return h('main', { class: 'projector', id: 'main' },
      room ? boardView(board.doc, room, { code, level: 1 }) : h('h1', null, 'Connecting to the room…'),
      board.status !== 'online' ? h('p', { class: 'connection-lost' }, board.status === 'connecting' ? 'Connecting…' : 'Connection lost: reconnecting') : null)
  })
  setInterval(() => app.schedule(), 1000)
}
