// Interop: the stock `yjs` + `y-websocket` client, unchanged, against a running
// Touchpoint server. Run by the Rust test `interop::stock_yjs_client_*`:
//
//   node interop.mjs --url http://127.0.0.1:PORT --admin-token TOKEN
//
// Prints one line per passed check; exits non-zero at the first failure.

import { parseArgs } from 'node:util'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const { values: args } = parseArgs({
  options: { url: { type: 'string' }, 'admin-token': { type: 'string' } }
})
const base = args.url
const wsBase = base.replace(/^http/, 'ws') + '/sync'
const TIMEOUT_MS = 5000

const providers = []

function fail (message) {
  console.error(`FAIL - ${message}`)
  for (const provider of providers) provider.destroy()
  process.exit(1)
}

function ok (message) {
  console.log(`ok - ${message}`)
}

async function waitFor (label, predicate) {
  const deadline = Date.now() + TIMEOUT_MS
  while (!predicate()) {
    if (Date.now() > deadline) fail(`timed out waiting until ${label}`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

async function api (method, path, { body, auth } = {}) {
  const headers = { 'content-type': 'application/json' }
  if (auth) headers.authorization = `Bearer ${auth}`
  const response = await fetch(base + path, { method, headers, body: body && JSON.stringify(body) })
  const text = await response.text()
  return { status: response.status, body: text ? JSON.parse(text) : null }
}

async function metric (name, labels) {
  const text = await (await fetch(base + '/metrics')).text()
  return text.split('\n')
    .filter(line => line.startsWith(name) && line.includes(labels))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0)
}

/** A stock provider, exactly as a web page would make one. */
async function connect (code, token, doc = new Y.Doc()) {
  const provider = new WebsocketProvider(wsBase, code, doc, {
    params: { token },
    WebSocketPolyfill: WebSocket,
    disableBc: true
  })
  providers.push(provider)
  await waitFor(`${token.slice(0, 6)}… is synced`, () => provider.synced)
  return { doc, provider }
}

/** The HTTP status a refused upgrade answered with. */
function refusedStatus (url) {
  return new Promise(resolve => {
    const socket = new WebSocket(url)
    socket.on('unexpected-response', (_request, response) => resolve(response.statusCode))
    socket.on('open', () => { socket.terminate(); resolve(101) })
    socket.on('error', () => {})
  })
}

const created = await api('POST', '/api/rooms', { body: { title: 'Interop' }, auth: args['admin-token'] })
if (created.status !== 201) fail(`creating a room answered ${created.status}`)
const { code, facilitator_key: key } = created.body
const participantToken = async () => {
  const response = await api('POST', `/api/rooms/${code}/participants`)
  if (response.status !== 201) fail(`joining as a participant answered ${response.status}`)
  return response.body.token
}

// Offline edits: a facilitator edits before connecting; the server starts the
// sync (its state vector request) so the edit comes up.
const offlineDoc = new Y.Doc()
offlineDoc.getMap('board').set('title', 'Waiting room')
const facilitator = await connect(code, key, offlineDoc)
const participant = await connect(code, await participantToken())
const board = participant.doc.getMap('board')
await waitFor('the participant sees the offline edit', () => board.get('title') === 'Waiting room')
ok('a facilitator\'s offline edit reaches a participant')

facilitator.doc.getMap('board').set('stage', 'voting')
await waitFor('the participant sees the live edit', () => board.get('stage') === 'voting')
ok('a facilitator\'s live edit reaches a participant')

// Read-only participants: their document updates are dropped and counted.
const rejectedBefore = await metric('touchpoint_messages_rejected_total', 'reason="read_only"')
board.set('forged', 'by a participant')
for (const deadline = Date.now() + TIMEOUT_MS; ;) {
  if (await metric('touchpoint_messages_rejected_total', 'reason="read_only"') > rejectedBefore) break
  if (Date.now() > deadline) fail('the participant\'s update was not counted as rejected')
  await new Promise(resolve => setTimeout(resolve, 20))
}
facilitator.doc.getMap('board').set('after', 'marker')
await waitFor('the participant sees the marker', () => board.get('after') === 'marker')
if (facilitator.doc.getMap('board').has('forged')) fail('a participant\'s update reached the facilitator')
ok('a participant\'s update is dropped, counted, and reaches nobody')

// Concurrent edits from two facilitators converge everywhere. A burst like this
// reaches the room faster than it commits, so the room merges batches of them
// into one update per member: the stock client must apply those too.
const mergedBefore = await metric('touchpoint_updates_merged_total', '')
const second = await connect(code, key)
const textA = facilitator.doc.getText('notes')
const textB = second.doc.getText('notes')
for (let i = 0; i < 50; i++) {
  textA.insert(0, 'a')
  textB.insert(0, 'b')
}
const notes = participant.doc.getText('notes')
await waitFor('all replicas have 100 characters', () =>
  textA.length === 100 && textB.length === 100 && notes.length === 100)
if (textA.toString() !== textB.toString() || textA.toString() !== notes.toString()) {
  fail('replicas diverged')
}
ok('concurrent edits converge on every replica')
if (await metric('touchpoint_updates_merged_total', '') === mergedBefore) fail('no batch of the burst was merged')
ok('updates merged by the room are applied by the stock client')

// A late joiner gets the full state, without the dropped participant write.
const late = await connect(code, await participantToken())
const lateBoard = late.doc.getMap('board')
await waitFor('the late joiner has the board', () => lateBoard.get('after') === 'marker')
if (lateBoard.get('title') !== 'Waiting room' || late.doc.getText('notes').toString() !== notes.toString()) {
  fail('the late joiner\'s state differs')
}
if (lateBoard.has('forged')) fail('the late joiner received a participant\'s dropped update')
ok('a late joiner gets the full state')

// Awareness arrives, and leaves when the connection drops without a goodbye.
facilitator.provider.awareness.setLocalStateField('user', { name: 'Facilitator' })
const facilitatorId = facilitator.doc.clientID
await waitFor('the participant sees the facilitator\'s presence', () =>
  participant.provider.awareness.getStates().get(facilitatorId)?.user?.name === 'Facilitator')
ok('awareness arrives')
facilitator.provider.shouldConnect = false
facilitator.provider.ws.terminate()
await waitFor('the facilitator\'s presence is removed', () =>
  !participant.provider.awareness.getStates().has(facilitatorId))
ok('awareness leaves when a connection drops')

// A participant's presence is allowed too, and others see it.
participant.provider.awareness.setLocalStateField('user', { name: 'Phone' })
await waitFor('the late joiner sees the participant\'s presence', () =>
  late.provider.awareness.getStates().get(participant.doc.clientID)?.user?.name === 'Phone')
ok('participants share awareness')

// Wrong credentials are refused at the upgrade.
if (await refusedStatus(`${wsBase}/${code}`) !== 401) fail('a missing token was not refused with 401')
if (await refusedStatus(`${wsBase}/${code}?token=nope`) !== 403) fail('a wrong token was not refused with 403')
ok('missing and wrong tokens are refused with 401 and 403')

for (const provider of providers) provider.destroy()
process.exit(0)
