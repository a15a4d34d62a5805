// Reading the room document (server/core/ROOM-DOCUMENT.md) into plain
// objects for the views. Hidden (moderated) contributions are dropped here,
// unless a view asks for them (the facilitator's moderation queue).

// The board's names, here and nowhere else in the client: the same words as
// server/core/src/room/layout.rs, so a misspelt name fails where it is used.

/** The board's roots that are not collections. */
export const ROOT = Object.freeze({ ROOM: 'room', ACTIVITIES: 'activities', PARTICIPATION: 'participation', AUDIT: 'audit', SNAPSHOTS: 'snapshots' })

/** Where each kind of contribution lives on the board. */
export const COLLECTION = Object.freeze({ CARDS: 'cards', IDEAS: 'ideas', PATH_NOTES: 'path_notes', PLEDGES: 'pledges', TOUCHSTONES: 'touchstones', FEEDBACK: 'feedback' })

export const COLLECTIONS = Object.values(COLLECTION)

/** The kinds of activity. */
export const KIND = Object.freeze({ EMOTION_MAP: 'emotion_map', VOTE: 'vote', PATH: 'path', PLEDGE: 'pledge', IDEAS: 'ideas', FEEDBACK: 'feedback' })

export function readRoom(doc) {
  const room = doc.getMap(ROOT.ROOM).toJSON()
  const activities = Object.values(doc.getMap(ROOT.ACTIVITIES).toJSON())
    .sort((a, b) => (a.order ?? 0) - (b.order ?? 0))
  const participation = doc.getMap(ROOT.PARTICIPATION).toJSON()
  return {
    title: room.title || '',
    programme: room.programme || null,
    template: room.template || null,
    perspectives: room.perspectives || [],
    segments: room.segments || [],
    current: room.current || null,
    timer: room.timer || null,
    activities,
    participation,
  }
}

export function activity(room, id) {
  return room.activities.find((a) => a.id === id) || null
}

// Contributions are plain values today; a nested Y.Map would read the same.
const plain = (value) => (value && typeof value.toJSON === 'function' ? value.toJSON() : value)

/** Contributions of one collection, oldest first, for one activity (or all). */
export function contributions(doc, collection, activityId, { withHidden = false } = {}) {
  const out = []
  doc.getMap(collection).forEach((raw, id) => {
    const value = plain(raw)
    if (!value || typeof value !== 'object') return
    if (activityId && value.activity !== activityId) return
    if (value.hidden && !withHidden) return
    out.push({ ...value, id, collection })
  })
  return out.sort((a, b) => (a.at || 0) - (b.at || 0) || (a.id < b.id ? -1 : 1))
}

export function contribution(doc, collection, id) {
  const value = plain(doc.getMap(collection).get(id))
  return value ? { ...value, id, collection } : null
}

/** The choices a facilitator can edit live, whatever the kind. */
export function choicesOf(a) {
  if (!a) return []
  return a.touchpoints || a.options || a.sections || []
}

export function groupOf(room, perspectiveId) {
  const p = room.perspectives.find((x) => x.id === perspectiveId)
  return p ? p.group : null
}

export function perspectiveLabel(room, id) {
  const p = room.perspectives.find((x) => x.id === id)
  return p ? p.label : 'Not said'
}

export function roleLabel(room, perspectiveId, roleId) {
  const p = room.perspectives.find((x) => x.id === perspectiveId)
  const r = p && (p.roles || []).find((x) => x.id === roleId)
  return r ? r.label : ''
}

export const KIND_WORDS = {
  [KIND.EMOTION_MAP]: 'Emotional map',
  [KIND.VOTE]: 'Vote',
  [KIND.PATH]: 'PATH',
  [KIND.PLEDGE]: 'Pledges',
  [KIND.IDEAS]: 'Ideas',
  [KIND.FEEDBACK]: 'Feedback on the event',
}

/** What kind of activity this is, in words ("Emotional map: how we want it to feel"). */
export function kindWords(a) {
  if (!a) return ''
  if (a.kind === KIND.EMOTION_MAP) return a.board === 'desired' ? 'Emotional map: how care should feel' : 'Emotional map: how care feels now'
  return KIND_WORDS[a.kind] || ''
}

export const VALENCE = {
  positive: { word: 'Good', arrow: '▲' },
  neutral: { word: 'Neutral', arrow: '●' },
  negative: { word: 'Bad', arrow: '▼' },
}

/** Seconds left on the room's timer, or null when none runs. */
export function timeLeft(room, skew = 0) {
  if (!room.timer || !room.timer.ends_at) return null
  return Math.max(0, Math.round(room.timer.ends_at - (Date.now() / 1000 + skew)))
}

export function clock(seconds) {
  const m = Math.floor(seconds / 60)
  const s = seconds % 60
  return `${m}:${String(s).padStart(2, '0')}`
}

/** "3 minutes 5 seconds", for screen readers. */
export function spokenTime(seconds) {
  const m = Math.floor(seconds / 60)
  const s = seconds % 60
  const parts = []
  if (m) parts.push(`${m} minute${m === 1 ? '' : 's'}`)
  if (s || !m) parts.push(`${s} second${s === 1 ? '' : 's'}`)
  return parts.join(' ')
}

/**
 * A board from its JSON (a named snapshot, as the server returns it), read
 * through the same few calls as a live Y.Doc, so every view can show it.
 */
export function boardFromJson(json) {
  return {
    getMap(name) {
      const all = (json && json[name]) || {}
      return {
        size: Object.keys(all).length,
        toJSON: () => all,
        get: (key) => all[key],
        forEach: (fn) => Object.keys(all).forEach((key) => fn(all[key], key)),
      }
    },
  }
}
