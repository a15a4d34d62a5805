// The room's board, kept in step with the server over the standard
// y-websocket protocol. Read-only: no client here writes the document (phones
// may not, and the facilitator acts through intents too), so local changes
// are never sent. Reconnects with exponential backoff plus jitter, so fifty
// phones that lost the venue Wi-Fi together do not all come back at once.
import * as Y from 'yjs'
import * as syncProtocol from 'y-protocols/sync'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import { fromBase64, toBase64 } from 'lib0/buffer'

const MESSAGE_SYNC = 0
const MESSAGE_AWARENESS = 1
const MESSAGE_QUERY_AWARENESS = 3
/** Yjs's update with no structs and no deletions. */
const EMPTY_UPDATE = new Uint8Array([0, 0])

/**
 * Connects to `/sync/{code}`; `onChange()` runs after every remote change and
 * every change of connection status (`status`: connecting | online | offline | refused).
 */
export function connectBoard(code, token, onChange) {
  const doc = new Y.Doc()
  // A page opened without a network (from the offline shell) says so from the start.
  const state = { doc, status: navigator.onLine === false ? 'offline' : 'connecting', synced: false, refusal: null, close }
  let socket = null
  let attempt = 0
  let retryTimer = null
  let closed = false

  // The board as this tab last saw it, so that a reload without a network still shows the
  // room (the offline shell, sw.js, brings back the page). Kept for this tab only, and
  // dropped with it: a shared tablet keeps no one's words once its tab is closed. On
  // reconnecting, the server sends what changed since, deletions included.
  const kept = `tp:board:${code}`
  try {
    const saved = sessionStorage.getItem(kept)
    if (saved) Y.applyUpdate(doc, fromBase64(saved), 'kept')
  } catch {
    // Not a board any more (a damaged copy), or no storage: start from nothing.
  }
  // Kept when the tab may go away (a reload, a switch to another app, the network dropping),
  // not on every change: encoding the whole board each time would cost every phone of a busy
  // room far more than the rare reload it serves.
  function keep() {
    try {
      sessionStorage.setItem(kept, toBase64(Y.encodeStateAsUpdate(doc)))
    } catch {
      // Storage full or refused (private browsing): the board is simply not kept.
    }
  }
  window.addEventListener('pagehide', keep)

  doc.on('update', () => onChange())

  function setStatus(status) {
    state.status = status
    onChange()
  }

  function open() {
    clearTimeout(retryTimer)
    if (closed) return
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
    const url = `${scheme}://${location.host}/sync/${encodeURIComponent(code)}?token=${encodeURIComponent(token)}`
    let ws
    try {
      ws = new WebSocket(url)
    } catch {
      return retry()
    }
    socket = ws
    ws.binaryType = 'arraybuffer'
    ws.onopen = () => {
      // Ask for everything we have not seen; the server sends its own step 1 too.
      const encoder = encoding.createEncoder()
      encoding.writeVarUint(encoder, MESSAGE_SYNC)
      syncProtocol.writeSyncStep1(encoder, doc)
      ws.send(encoding.toUint8Array(encoder))
    }
    ws.onmessage = (event) => {
      const decoder = decoding.createDecoder(new Uint8Array(event.data))
      const type = decoding.readVarUint(decoder)
      if (type === MESSAGE_SYNC) {
        const kind = decoding.readVarUint(decoder)
        if (kind === syncProtocol.messageYjsSyncStep1) {
          // Our answer to the server's step 1 is always an empty update, since we write
          // nothing: the board kept from before a reload holds nothing the server lacks,
          // though Yjs would send its deletions back all the same.
          const encoder = encoding.createEncoder()
          encoding.writeVarUint(encoder, MESSAGE_SYNC)
          encoding.writeVarUint(encoder, syncProtocol.messageYjsSyncStep2)
          encoding.writeVarUint8Array(encoder, EMPTY_UPDATE)
          ws.send(encoding.toUint8Array(encoder))
        } else {
          syncProtocol.readSyncStep2(decoder, doc, 'server')
        }
        if (kind === syncProtocol.messageYjsSyncStep2 && !state.synced) {
          state.synced = true
          attempt = 0
          setStatus('online')
        }
      } else if (type === MESSAGE_AWARENESS || type === MESSAGE_QUERY_AWARENESS) {
        // Presence is not used by this client.
      }
    }
    ws.onclose = (event) => {
      if (socket !== ws) return
      socket = null
      state.synced = false
      if (closed) return
      // A helper key the facilitator replaced opens nothing again: stop, and let the page say so.
      if (event.code === 1008 && String(event.reason).startsWith('key_rotated')) {
        closed = true
        state.refusal = 'key_rotated'
        return setStatus('refused')
      }
      retry(event.code)
    }
    ws.onerror = () => {}
  }

  function retry(closeCode) {
    attempt++
    // 1 s, 2 s, 4 s... up to 30 s, each scaled by a random 50-100 %.
    const base = Math.min(30000, 1000 * 2 ** Math.min(attempt - 1, 5))
    const delay = base * (0.5 + Math.random() / 2)
    setStatus(attempt > 2 || closeCode === 1013 ? 'offline' : 'connecting')
    retryTimer = setTimeout(open, delay)
  }

  function close() {
    closed = true
    clearTimeout(retryTimer)
    if (socket) socket.close()
  }

  // Back online, or back to the page: try at once rather than wait out the backoff.
  const now = () => {
    if (!socket && !closed) {
      attempt = 0
      open()
    }
  }
  window.addEventListener('online', () => {
    if (socket && state.synced) setStatus('online')
    now()
  })
  // The phone knows it lost the network before the socket does: say so at once.
  window.addEventListener('offline', () => {
    setStatus('offline')
    keep()
  })
  document.addEventListener('visibilitychange', () => (document.visibilityState === 'visible' ? now() : keep()))

  open()
  return state
}
