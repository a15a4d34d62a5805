// Rooms whose stored data is damaged, as the admin and the facilitator see
// them. The server refuses such a room (503 `room_quarantined`) until the
// administrator runs `touchpoint repair`; these views say so in words, and
// list the rooms that wait for it, so nobody mistakes it for a network fault.
import { h } from '../dom.js'
import { call } from '../api.js'

/** What the console shows instead of a quarantined room. */
export function quarantinedPage(code) {
  return h('main', { class: 'page console', id: 'main' },
    h('h1', null, 'Facilitator console'),
    h('p', { class: 'notice error', role: 'alert' },
      `Room ${code} is closed for repair: its stored data is damaged, so the server will not open it until the administrator repairs it. ` +
      'Nothing more has been lost. Ask them to run ', h('code', null, `touchpoint repair ${code}`), '.'))
}

/** Asks the server for the quarantined rooms with the admin token; `state.quarantine` holds the answer. */
export async function loadQuarantined(state, schedule) {
  state.quarantine = { loading: true }
  schedule()
  try {
    const { rooms } = await call('GET', '/api/rooms', { token: state.admin.trim() })
    state.quarantine = { rooms: rooms.filter((room) => room.quarantine) }
  } catch (error) {
    state.quarantine = { error: error.message }
  }
  schedule()
}

/** The admin's check for damaged rooms: a button, then the rooms closed for repair (or none). */
export function quarantineView(state, schedule) {
  const q = state.quarantine || {}
  let answer = null
  if (q.error) {
    answer = h('p', { class: 'notice error' }, q.error)
  } else if (q.rooms && !q.rooms.length) {
    answer = h('p', { class: 'notice saved' }, 'No room is damaged.')
  } else if (q.rooms) {
    answer = h('div', { class: 'notice error' },
      h('p', null, `${q.rooms.length === 1 ? 'One room is' : `${q.rooms.length} rooms are`} closed for repair:`),
      h('ul', { class: 'quarantined' }, q.rooms.map((room) => h('li', { key: room.code },
        h('strong', null, room.code), ` – ${room.title}: since ${new Date(room.quarantine.since * 1000).toLocaleString()}, `,
        `${room.quarantine.table} row ${room.quarantine.row} (${room.quarantine.reason}). `,
        'Repair it with ', h('code', null, `touchpoint repair ${room.code}`), '.'))))
  }
  return h('section', { class: 'quarantine', 'aria-labelledby': 'quarantine-title' },
    h('h2', { id: 'quarantine-title' }, 'Damaged rooms'),
    h('p', { class: 'hint' }, 'With the admin token above: rooms the server has closed because their stored data is damaged.'),
    h('button', { type: 'button', class: 'button', disabled: !!q.loading, onclick: () => loadQuarantined(state, schedule) },
      q.loading ? 'Checking…' : 'Check for damaged rooms'),
    h('div', { 'aria-live': 'polite' }, answer))
}
