// What a screen-reader user at home hears as the board changes: a new card,
// a new pledge, the facilitator opening, closing or revealing an activity.
// Each change is said once, politely, and a burst is summed up (a11y.js).
import { announce } from '../a11y.js'
import { readRoom, contributions, COLLECTIONS, activity as findActivity, perspectiveLabel, COLLECTION, KIND } from '../board.js'
import { countsHidden } from './heatmap.js'

const NOUN = {
  [COLLECTION.CARDS]: 'card',
  [COLLECTION.IDEAS]: 'idea',
  [COLLECTION.PATH_NOTES]: 'PATH note',
  [COLLECTION.PLEDGES]: 'pledge',
  [COLLECTION.TOUCHSTONES]: 'word for the word cloud',
}

export function watchBoard(doc) {
  let seen = null
  let current
  let states = {}
  return {
    check() {
      const room = readRoom(doc)
      const ids = new Set()
      const fresh = []
      for (const collection of COLLECTIONS) {
        // One person's feedback on the event is never put before the room, not even in words.
        if (collection === COLLECTION.FEEDBACK) continue
        for (const c of contributions(doc, collection)) {
          ids.add(c.id)
          // Saying each new card aloud would count the cards of a map whose counts are hidden.
          const a = findActivity(room, c.activity)
          if (seen && !seen.has(c.id) && !(a && countsHidden(a))) fresh.push(c)
        }
      }
      const changes = []
      if (seen) {
        if (room.current !== current) {
          const a = findActivity(room, room.current)
          changes.push(a ? `The facilitator has moved the room to: ${a.title}.` : 'The room is back at the welcome screen.')
        }
        for (const a of room.activities) {
          const before = states[a.id]
          if (!before) continue
          if (before.state !== a.state) changes.push(a.state === 'open' ? `${a.title} is open.` : a.state === 'locked' ? `${a.title} is closed.` : '')
          if (!before.revealed && a.revealed) changes.push(a.kind === KIND.EMOTION_MAP ? `The map of ${a.title} is shown.` : `The results of ${a.title} are shown.`)
        }
        for (const c of fresh) changes.push(describe(room, c))
      }
      seen = ids
      current = room.current
      states = Object.fromEntries(room.activities.map((a) => [a.id, { state: a.state, revealed: !!a.revealed }]))
      for (const text of changes) if (text) announce(text)
    },
  }
}

function describe(room, c) {
  const a = findActivity(room, c.activity)
  const who = c.perspective ? ` from ${perspectiveLabel(room, c.perspective).toLowerCase()}` : ''
  if (c.collection === COLLECTION.CARDS && a) {
    const t = (a.touchpoints || []).find((x) => x.id === c.touchpoint)
    const e = (a.emotions || []).find((x) => x.id === c.emotion)
    return `New card at ${t ? t.label : c.touchpoint}: ${e ? e.label : c.word}${who}.${c.note ? ` “${c.note}”` : ''}`
  }
  if (c.collection === COLLECTION.TOUCHSTONES) return `New word for the word cloud: ${c.word}.`
  return `New ${NOUN[c.collection]}${who}: ${c.text}`
}
