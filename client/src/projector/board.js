// What the room sees on the big screen, also shown to remote attendees:
// the room code and QR code while people join, who is here, the timer, and
// the board of the activity in progress. Hidden contributions never appear.
import { h, plural } from '../dom.js'
import { clockSkew } from '../api.js'
import { activity as findActivity, contributions, timeLeft, clock, spokenTime, kindWords, COLLECTION, KIND } from '../board.js'
import { heatmapView, countsHidden, hiddenMapView } from './heatmap.js'
import { resultsView } from './votes.js'
import { feedbackBoard } from './feedback.js'
import { inTurn } from './stage.js'

// The activity's state in one large word on its own colour, for the back of the hall.
const STATES = {
  pending: ['Starting soon', '○'],
  open: ['Open', '●'],
  locked: ['Closed', '■'],
  revealed: ['Results', '▮'],
}

function stateBadge(a) {
  const state = a.revealed && a.results ? 'revealed' : a.state in STATES ? a.state : 'pending'
  const [word, mark] = STATES[state]
  return h('p', { class: `state-badge ${state}` }, h('span', { 'aria-hidden': 'true' }, `${mark} `), word)
}

export function formatCode(code) {
  return code.length === 10 ? `${code.slice(0, 5)} ${code.slice(5)}` : code
}

/** The join address as people type it: without the scheme. */
export function joinAddress(code) {
  return `${location.host}/join/${code}`
}

/**
 * Who joined, as the board's participation map says it. Every phone reads that map, so the
 * server writes a count of people only from its threshold up: below it a count is
 * "suppressed" (said as "fewer than 8"), and one that would give a small one away is
 * "withheld"; the total is withheld (so it is at least the threshold) whenever a group is
 * hidden (ROOM-DOCUMENT.md).
 */
export function participationView(room) {
  const p = room.participation
  if (!p || p.total == null) return h('div', { class: 'participation' }, h('p', { class: 'count' }, 'Nobody has joined yet'))
  const fewer = `fewer than ${p.min_count || 8}`
  const exact = (n) => typeof n === 'number'
  const groups = [p.people, p.professionals, p.unspecified]
  const shown = groups.filter(exact).reduce((sum, n) => sum + n, 0)
  const headline = exact(p.total)
    ? [h('strong', null, String(p.total)), ` ${p.total === 1 ? 'person has' : 'people have'} joined`]
    : p.total === 'suppressed'
      ? [h('strong', null, `Fewer than ${p.min_count || 8}`), ' people have joined']
      : [h('strong', null, String(Math.max(shown, p.min_count || 8))), ' or more people have joined']
  const share = (n) => `${Math.round((n / p.total) * 100)}%`
  // The bar is drawn only where every part of it is known.
  const bar = exact(p.total) && p.total > 0 && groups.every(exact)
  const said = (n, one, many) => exact(n) ? ` ${n} ${n === 1 ? one : many}` : n === 'suppressed' ? ` ${fewer} ${many}` : ` ${many}: not shown`
  return h('div', { class: 'participation' },
    h('p', { class: 'count' }, ...headline,
      exact(p.remote) && p.remote > 0 ? h('span', { class: 'hint' }, ` (${p.remote} online)`) : null),
    bar ? h('div', { class: 'balance-bar', 'aria-hidden': 'true' },
      h('span', { class: 'people', style: { width: share(p.people) } }),
      h('span', { class: 'pros', style: { width: share(p.professionals) } }),
      h('span', { class: 'unsaid', style: { width: share(p.unspecified) } })) : null,
    p.total !== 'suppressed' ? h('ul', { class: 'balance-legend' },
      h('li', { class: 'people' }, h('span', { class: 'key', 'aria-hidden': 'true' }, '■'), said(p.people, 'person using services or carer', 'people using services and carers')),
      h('li', { class: 'pros' }, h('span', { class: 'key', 'aria-hidden': 'true' }, '▨'), said(p.professionals, 'staff', 'staff')),
      exact(p.unspecified) && p.unspecified > 0 ? h('li', { class: 'unsaid' }, h('span', { class: 'key', 'aria-hidden': 'true' }, '□'), ` ${p.unspecified} not said`) : null) : null)
}

/** The timer as it stands now, or as it stood at `at` (Unix seconds) in a replay. */
export function timerView(room, at = null) {
  const left = timeLeft(room, at == null ? clockSkew : at - Date.now() / 1000)
  if (left == null) return null
  return h('div', { class: `timer${left === 0 ? ' done' : left <= 30 ? ' soon' : ''}`, role: 'timer', 'aria-label': left ? `Time left: ${spokenTime(left)}` : 'Time is up' },
    h('span', { 'aria-hidden': 'true' }, left ? `⏱ ${clock(left)}` : 'Time is up'))
}

export function joinPanel(code, { big }) {
  return h('div', { class: `join-panel${big ? ' big' : ''}` },
    h('img', { class: 'qr', src: `/api/rooms/${code}/qr.svg`, alt: `QR code to join this room: ${joinAddress(code)}`, width: big ? 360 : 140, height: big ? 360 : 140 }),
    h('div', { class: 'join-words' },
      big ? h('p', { class: 'join-step' }, 'Scan the code with your phone camera, or go to') : h('p', { class: 'join-step' }, 'Join at'),
      h('p', { class: 'join-url' }, joinAddress(code)),
      h('p', { class: 'join-step' }, 'Room code'),
      h('p', { class: 'room-code' }, formatCode(code))))
}

/** The address of the room's public page ("You said, we did"), as people would type it. */
function updatesAddress(code) {
  return `${location.host}/updates/${code}`
}

/**
 * Whether the projector is on the last screen of a pledge event: its pledge activity closed and
 * on screen, or the welcome screen (or the last activity, closed) once the last activity closed.
 */
function lastScreen(room, a) {
  if (!room.activities.some((x) => x.kind === KIND.PLEDGE)) return false
  const last = room.activities[room.activities.length - 1]
  if (a && a.kind === KIND.PLEDGE) return a.state === 'locked'
  return last.state === 'locked' && (!a || a.id === last.id)
}

/** The last screen: the page people keep, as a QR code big enough to scan from the back of the hall. */
function keepPageView(room, code, H) {
  return h('div', { class: 'board keep-screen' },
    h('div', { class: 'board-head' },
      h('div', { class: 'board-title' },
        h('p', { class: 'kicker' }, room.title),
        h(H, { class: 'board-heading', id: 'board-now' }, 'Thank you. See what happens next'))),
    h('div', { class: 'keep-grid' },
      h('img', { class: 'qr', src: `/api/rooms/${code}/updates-qr.svg`, alt: `QR code of the page that will say what happens next: ${updatesAddress(code)}`, width: 360, height: 360 }),
      h('div', { class: 'keep-words' },
        h('p', { class: 'keep-caption' }, 'Scan to keep the page where the team will say what they did with what you said today.'),
        h('p', { class: 'join-url' }, updatesAddress(code)))))
}

/**
 * The board of the current activity (or the welcome screen), at heading `level`;
 * `at` is the moment a replayed board stood at; `stage` (stage.js) is the
 * projector's screen, which every board must fit without scrolling.
 */
export function boardView(doc, room, { compact = false, code, level = 1, at = null, stage = null } = {}) {
  const a = room.current && findActivity(room, room.current)
  const H = `h${level}`
  if (stage && lastScreen(room, a)) return keepPageView(room, code, H)
  const head = h('div', { class: 'board-head' },
    h('div', { class: 'board-title' },
      a ? h('div', { class: 'board-state' }, stateBadge(a),
        h('p', { class: 'kicker' }, `${kindWords(a)}${a.state === 'locked' ? ' · closed' : a.state === 'pending' ? ' · starting soon' : ''}`)) : null,
      h(H, { class: 'board-heading', id: 'board-now' }, a ? a.title : room.title)),
    timerView(room, at),
    !compact && a ? joinPanel(code, { big: false }) : null)
  if (!a) {
    return h('div', { class: 'board lobby' }, head,
      compact ? h('p', { class: 'lead' }, 'Welcome. The facilitator will start soon.')
        : h('div', { class: 'lobby-grid' }, joinPanel(code, { big: true }),
          h('div', null, h('p', { class: 'lead' }, 'Join anonymously from your phone. Nobody will ask your name.'), participationView(room))),
      compact ? participationView(room) : null)
  }
  return h('div', { class: `board kind-${a.kind}` }, head,
    a.prompt && !compact ? h('p', { class: 'board-prompt' }, a.prompt) : null,
    h('div', { class: 'board-body' }, activityBoard(doc, room, a, level + 1, stage)),
    h('div', { class: 'board-foot' }, participationView(room)))
}

/** The board of one activity, with its headings at `level`, fitted to the projector's `stage` when given. */
export function activityBoard(doc, room, a, level, stage = null) {
  if (countsHidden(a)) return hiddenMapView(a, { level })
  if (a.kind === KIND.EMOTION_MAP) return heatmapView(doc, room, a, { level, stage })
  if (a.kind === KIND.VOTE) return voteBoard(doc, a, level)
  if (a.kind === KIND.PATH) return pathBoard(doc, a, level, stage)
  if (a.kind === KIND.PLEDGE) return pledgeBoard(doc, a, level, stage)
  if (a.kind === KIND.FEEDBACK) return feedbackBoard(doc, a)
  return ideaWall(contributions(doc, COLLECTION.IDEAS, a.id), level, 'Ideas', stage)
}

function voteBoard(doc, a, level) {
  if (a.revealed && a.results) return resultsView(a, { level })
  const comments = contributions(doc, COLLECTION.IDEAS, a.id)
  return h('div', null,
    h('p', { class: 'notice info' }, a.state === 'locked' ? 'Voting has closed. The results will be shown in a moment.' : 'The results stay hidden until everyone has voted.'),
    h('ol', { class: 'option-board' }, (a.options || []).map((o) => {
      const n = comments.filter((c) => c.option === o.id).length
      return h('li', { key: o.id },
        h(`h${level}`, { dir: 'auto' }, o.label),
        o.hint ? h('p', { class: 'hint' }, o.hint) : null,
        a.comments ? h('p', { class: 'hint' }, plural(n, 'comment')) : null)
    })))
}

function pathBoard(doc, a, level, stage) {
  const notes = contributions(doc, COLLECTION.PATH_NOTES, a.id)
  const sections = a.sections || []
  // On the projector every section stands side by side, with its latest notes in turn.
  const columns = stage ? { 'grid-template-columns': `repeat(${Math.max(1, sections.length)}, minmax(0, 1fr))` } : null
  return h('ol', { class: 'path-board', style: columns }, sections.map((s, i) => {
    const mine = notes.filter((n) => n.section === s.id)
    const shown = stage ? inTurn(mine.slice().reverse(), 4, 10) : mine
    return h('li', { key: s.id, class: 'path-section' },
      h(`h${level}`, null, h('span', { class: 'step-number' }, String(i + 1)), s.label),
      mine.length ? h('ul', { class: 'path-notes' }, shown.map((n) => h('li', { key: n.id, dir: 'auto' }, n.text)))
        : h('p', { class: 'hint' }, 'No notes yet'),
      stage && mine.length > shown.length ? h('p', { class: 'hint' }, `${mine.length} notes, in turn`) : null)
  }))
}

function pledgeBoard(doc, a, level, stage) {
  const pledges = contributions(doc, COLLECTION.PLEDGES, a.id)
  const words = contributions(doc, COLLECTION.TOUCHSTONES, a.id)
  // On the projector: the newest pledge and five others in turn.
  const shown = stage ? inTurn(pledges.slice().reverse(), 6, 10) : pledges.slice().reverse()
  return h('div', { class: 'pledge-board' },
    h('section', { 'aria-labelledby': 'pledge-wall-h' },
      h(`h${level}`, { id: 'pledge-wall-h' }, `Pledges (${pledges.length})`),
      pledges.length ? h('ul', { class: 'pledge-wall' }, shown.map((p) => h('li', { key: p.id, class: 'pledge' },
        h('p', { class: 'pledge-text', dir: 'auto' }, p.text),
        p.name || p.organisation ? h('p', { class: 'pledge-by', dir: 'auto' }, '— ', [p.name, p.organisation].filter(Boolean).join(', ')) : null)))
        : h('p', { class: 'hint' }, 'Pledges appear here as people make them.')),
    a.touchstones ? h('section', { 'aria-labelledby': 'cloud-h' },
      h(`h${level}`, { id: 'cloud-h' }, a.touchstone_prompt || 'What matters most'),
      wordCloud(words, stage ? 18 : Infinity)) : null)
}

/** Touchstones as a word cloud: the more people gave a word, the bigger it is; at most `most` words. */
export function wordCloud(words, most = Infinity) {
  if (!words.length) return h('p', { class: 'hint' }, 'Words appear here as people add them.')
  const counts = new Map()
  for (const w of words) {
    const spelling = w.word.trim()
    const key = spelling.toLowerCase()
    const entry = counts.get(key) || { n: 0, spellings: new Map() }
    entry.n++
    entry.spellings.set(spelling, (entry.spellings.get(spelling) || 0) + 1)
    counts.set(key, entry)
  }
  // Shown as most people spelled it (on a tie, capitals first): the same on every screen,
  // whatever order each one's copy of the board lists the words in.
  const shown = ({ n, spellings }) => ({
    n,
    word: [...spellings].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))[0][0],
  })
  const sorted = [...counts.values()].map(shown).sort((x, y) => y.n - x.n || x.word.localeCompare(y.word)).slice(0, most)
  const max = sorted[0].n
  // Biggest in the middle, the rest alternating either side: it reads as a cloud.
  const placed = []
  sorted.forEach((w, i) => (i % 2 ? placed.push(w) : placed.unshift(w)))
  return h('ul', { class: 'word-cloud' }, placed.map((w, i) => h('li', {
    key: w.word.toLowerCase(),
    class: `word tone-${i % 4}`,
    dir: 'auto',
    style: { 'font-size': `${(1 + (max > 1 ? (w.n - 1) / (max - 1) : 0) * (most < Infinity ? 1.4 : 2.2)).toFixed(2)}em` },
  }, w.word, h('span', { class: 'visually-hidden' }, ` (${plural(w.n, 'person', 'people')})`))))
}

export function ideaWall(ideas, level, title, stage = null) {
  // On the projector: the newest idea and eight others in turn.
  const shown = stage ? inTurn(ideas.slice().reverse(), 9, 10) : ideas.slice().reverse()
  return h('section', { 'aria-labelledby': 'ideas-h' },
    h(`h${level}`, { id: 'ideas-h' }, `${title} (${ideas.length})`),
    ideas.length ? h('ul', { class: 'idea-wall' }, shown.map((i) => h('li', { key: i.id, class: 'idea', dir: 'auto' }, i.text)))
      : h('p', { class: 'hint' }, 'What people write appears here.'))
}
