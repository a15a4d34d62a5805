// Liveness: the stock `yjs` + `y-websocket` client, unchanged, sits in an idle
// room while the server pings it; it must never be closed or reconnect. Run by
// the Rust test `connections::the_stock_client_in_an_idle_room_never_reconnects`:
//
//   node liveness.mjs --url http://127.0.0.1:PORT --admin-token TOKEN --idle-ms 6000
//
// Prints the connection's status changes as one line of JSON; exits non-zero
// if the client never connects.

import { parseArgs } from 'node:util'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const { values: args } = parseArgs({
  options: { url: { type: 'string' }, 'admin-token': { type: 'string' }, 'idle-ms': { type: 'string' } }
})
const base = args.url

const created = await fetch(base + '/api/rooms', {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${args['admin-token']}` },
  body: JSON.stringify({ title: 'Idle room' })
})
if (created.status !== 201) {
  console.error(`creating a room answered ${created.status}`)
  process.exit(1)
}
const { code, facilitator_key: key } = await created.json()

const provider = new WebsocketProvider(base.replace(/^http/, 'ws') + '/sync', code, new Y.Doc(), {
  params: { token: key },
  WebSocketPolyfill: WebSocket,
  disableBc: true
})
const statuses = []
provider.on('status', ({ status }) => statuses.push(status))
const connected = new Promise(resolve => provider.on('sync', synced => synced && resolve()))
const timeout = new Promise((_resolve, reject) => setTimeout(() => reject(new Error('never synced')), 5000))
try {
  await Promise.race([connected, timeout])
} catch (error) {
  console.error(error.message)
  process.exit(1)
}
// Nothing happens in the room: only the server's pings and keepalives, and the client's presence.
await new Promise(resolve => setTimeout(resolve, Number(args['idle-ms'])))
console.log(JSON.stringify({ statuses, connected: provider.wsconnected }))
provider.destroy()
process.exit(0)
