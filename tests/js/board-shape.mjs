// A facilitator's stock `yjs` + `y-websocket` client that writes the board in
// the wrong shape: each such write is refused (the socket closed with 1008
// `breaks_layout`), and a write in the right shape still goes through. Run by
// the Rust test `board_shape::a_stock_client_writing_the_board_in_the_wrong_shape_is_refused`:
//
//   node board-shape.mjs --url http://127.0.0.1:PORT --room CODE --key FACILITATOR_KEY
//
// Prints one line per passed check; exits non-zero at the first failure.

import { parseArgs } from 'node:util'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const { values: args } = parseArgs({
  options: { url: { type: 'string' }, room: { type: 'string' }, key: { type: 'string' } }
})
const wsBase = args.url.replace(/^http/, 'ws') + '/sync'
const TIMEOUT_MS = 5000

function fail (message) {
  console.error(`FAIL - ${message}`)
  process.exit(1)
}

async function waitFor (label, predicate) {
  const deadline = Date.now() + TIMEOUT_MS
  while (!predicate()) {
    if (Date.now() > deadline) fail(`timed out waiting until ${label}`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

/** A stock provider, as a facilitator's page would make one, synced with the board. */
async function connect (token) {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(wsBase, args.room, doc, {
    params: { token },
    WebSocketPolyfill: WebSocket,
    disableBc: true
  })
  const closes = []
  provider.on('connection-close', event => { if (event) closes.push(event) })
  await waitFor('the client is synced', () => provider.synced)
  return { doc, provider, closes }
}

const activity = (doc, id) => doc.getMap('activities').get(id)

// Each value has a shape the room document fixes; each write gives it another.
const damages = [
  ['perspectives that are not a list', doc => doc.getMap('room').set('perspectives', 'nonsense')],
  ['touchpoints that are not a list', doc => activity(doc, 'map').set('touchpoints', 'x')],
  ['options that are numbers', doc => activity(doc, 'options').set('options', [1, 2])],
  ['a state that is a number', doc => activity(doc, 'map').set('state', 42)],
  ['an activity that is a string', doc => doc.getMap('activities').set('ideas', 'broken')],
  ['a current activity that is a map', doc => doc.getMap('room').set('current', new Y.Map())],
  ['a card that is a number', doc => doc.getMap('cards').set('c-bad', 7)]
]

for (const [name, damage] of damages) {
  const { doc, provider, closes } = await connect(args.key)
  doc.transact(() => damage(doc))
  await waitFor(`the write of ${name} is refused`, () => closes.length > 0)
  provider.destroy()
  const [{ code, reason }] = closes
  if (code !== 1008 || !reason.startsWith('breaks_layout')) fail(`${name}: closed with ${code} ${reason}`)
  console.log(`ok - ${name} is refused`)
}

const writer = await connect(args.key)
writer.doc.getMap('room').set('title', 'Renamed by a stock client')
const reader = await connect(args.key)
await waitFor('the rename reaches another client', () => reader.doc.getMap('room').get('title') === 'Renamed by a stock client')
if (writer.closes.length > 0) fail('a write in the right shape closed its socket')
writer.provider.destroy()
reader.provider.destroy()
console.log('ok - a write in the right shape goes through')
// Each document's awareness keeps a timer running: the script ends here.
process.exit(0)
