// Writes the binary seed corpora of the fuzz targets (sync_frame, update) with
// the real yjs and y-protocols, so every seed is what a stock client sends.
// Run from the repository: node tests/fuzz/seeds.mjs (uses tests/js/node_modules).
import { createRequire } from 'node:module'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(join(here, '../js/package.json'))
const Y = require('yjs')
const syncProtocol = require('y-protocols/sync')
const awarenessProtocol = require('y-protocols/awareness')
const encoding = require('lib0/encoding')

// A board as a facilitator's client builds it: maps, arrays, text, nesting, deletes.
const doc = new Y.Doc()
const room = doc.getMap('room')
room.set('title', 'Seeded room')
room.set('current', 'map')
const cards = doc.getMap('cards')
const card = new Y.Map()
card.set('id', 'c1'); card.set('touchpoint', 'arrival'); card.set('emotion', 'anxious'); card.set('note', 'Parking 🅿️ ŵ اردو')
cards.set('c1', card)
const moments = doc.getArray('moments')
moments.push([{ id: 'arrival', label: 'Arriving' }, { id: 'waiting', label: 'Waiting', nested: [[1, 2], { deep: true }] }])
const text = doc.getText('notes')
text.insert(0, 'hello world'); text.delete(2, 3)
moments.delete(0, 1)
const full = Y.encodeStateAsUpdate(doc)
const sv = Y.encodeStateVector(doc)
const before = Y.encodeStateVector(doc)
room.set('timer', 300)
const delta = Y.encodeStateAsUpdate(doc, before)

const frame = (write) => { const e = encoding.createEncoder(); write(e); return encoding.toUint8Array(e) }
const awareness = new awarenessProtocol.Awareness(doc)
awareness.setLocalState({ user: { name: 'Projector', color: '#123456' } })

const seeds = {
  sync_frame: {
    'step1-empty': frame((e) => { encoding.writeVarUint(e, 0); syncProtocol.writeSyncStep1(e, new Y.Doc()) }),
    'step1-with-state': frame((e) => { encoding.writeVarUint(e, 0); syncProtocol.writeSyncStep1(e, doc) }),
    'step2-full': frame((e) => { encoding.writeVarUint(e, 0); syncProtocol.writeSyncStep2(e, new Y.Doc()) }),
    'update-full': frame((e) => { encoding.writeVarUint(e, 0); syncProtocol.writeUpdate(e, full) }),
    'update-delta': frame((e) => { encoding.writeVarUint(e, 0); syncProtocol.writeUpdate(e, delta) }),
    'awareness': frame((e) => { encoding.writeVarUint(e, 1); encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID])) }),
    'awareness-query': frame((e) => { encoding.writeVarUint(e, 3) }),
  },
  update: { full, delta, 'state-vector': sv, empty: Y.encodeStateAsUpdate(new Y.Doc()) },
}
for (const [target, files] of Object.entries(seeds)) {
  mkdirSync(join(here, 'seeds', target), { recursive: true })
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(here, 'seeds', target, name), bytes)
}
awareness.destroy()
console.log('seeds written')
