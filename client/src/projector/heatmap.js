// The emotional map as the room sees it: touchpoints across, the emotions
// people chose down the side (good ones above, bad ones below, as cards are
// raised and lowered on paper), and for each touchpoint the counts of each
// side of the room next to each other, so people's and staff's experience
// can be compared. Every cell shows its number; the shading only backs it up.
// A map may keep its counts to the facilitator until revealed, as a vote does
// (people anchor on the first cards they see): screens then show the journey
// alone, in its own order, with nothing that grows with the cards.
import { h } from '../dom.js'
import { contributions, VALENCE, COLLECTION, KIND } from '../board.js'
import { personasView } from '../phone/emotion.js'
import { hottest, inTurn } from './stage.js'

// Light tints with dark text (contrast above 7:1 at every step).
const SHADES = {
  positive: ['#f0fdf4', '#dcfce7', '#bbf7d0', '#86efac', '#4ade80'],
  neutral: ['#f8fafc', '#e2e8f0', '#cbd5e1', '#b6c2d1', '#94a3b8'],
  negative: ['#fff7ed', '#ffedd5', '#fed7aa', '#fdba74', '#fb923c'],
  own: ['#faf5ff', '#f3e8ff', '#e9d5ff', '#d8b4fe', '#c084fc'],
}

/** The sides of the room compared: the template's two groups, and "not said" when someone did not say. */
export function sides(room, cards) {
  const groups = [
    { id: 'people', label: 'People', long: describe(room, 'people', 'people using services and their families'), test: (c) => groupOfCard(room, c) === 'people' },
    { id: 'professionals', label: 'Staff', long: describe(room, 'professionals', 'staff'), test: (c) => groupOfCard(room, c) === 'professionals' },
  ]
  if (cards.some((c) => !groupOfCard(room, c))) groups.push({ id: 'unsaid', label: 'Not said', long: 'people who did not say', test: (c) => !groupOfCard(room, c) })
  return groups
}

function groupOfCard(room, c) {
  const p = room.perspectives.find((x) => x.id === c.perspective)
  return p ? p.group : null
}

/** "Person using services or Family carer": the template's perspectives on one side of the room. */
function describe(room, group, fallback) {
  const labels = room.perspectives.filter((p) => p.group === group).map((p) => p.label)
  return labels.length ? labels.join(' or ') : fallback
}

/** Whether screens keep this map's counts to themselves until the facilitator reveals them. */
export function countsHidden(a) {
  return a.kind === KIND.EMOTION_MAP && !!a.hide_counts && !a.revealed
}

/** A map whose counts are not revealed yet: the moments of the journey, and no number, heat or note. */
export function hiddenMapView(a, { level = 2 } = {}) {
  return h('div', { class: 'map-hidden' },
    h(`h${level}`, null, 'The map is filling up'),
    h('p', { class: 'lead' }, 'Cards are kept out of sight until the facilitator shows the map, so that nobody is swayed by the first ones.'),
    h('ol', { class: 'journey' }, (a.touchpoints || []).map((t) => h('li', { key: t.id, dir: 'auto' }, t.label))),
    personasView(a, { open: true }))
}

/**
 * The map, with headings at `level`. On the projector, `stage` (stage.js) is the
 * screen's size: the hottest moments and feelings that fit are shown, the rest
 * are named in one line, and the notes take turns.
 */
export function heatmapView(doc, room, a, { level = 2, stage = null } = {}) {
  const cards = contributions(doc, COLLECTION.CARDS, a.id)
  const emotions = a.emotions || []
  const groups = sides(room, cards)
  const byMoment = (t) => cards.filter((c) => c.touchpoint === t.id).length
  // About 10 units for the feelings, and 2.7 for each side of each moment.
  const moments = stage ? hottest(a.touchpoints || [], Math.max(1, Math.floor((stage.across - 12) / (2.7 * groups.length))), byMoment) : { shown: a.touchpoints || [], left: [] }
  const touchpoints = moments.shown
  const H = `h${level}`
  if (!cards.length) {
    return h('div', { class: 'map-empty' },
      h(H, null, 'The map is empty so far'),
      h('p', null, 'Cards appear here as people place them.'),
      personasView(a, { open: true }))
  }
  // Rows: the emotions in use, good to bad; then people's own words.
  const used = new Set(cards.map((c) => c.emotion).filter(Boolean))
  const count = (test) => cards.filter(test).length
  const allRows = ['positive', 'neutral', 'negative'].flatMap((v) => emotions.filter((e) => e.valence === v && used.has(e.id)))
    .map((e) => ({ e, n: count((c) => c.emotion === e.id) }))
    .concat([...new Set(cards.filter((c) => c.word).map((c) => c.word.toLowerCase()))].map((w) => ({ w, n: count((c) => c.word && c.word.toLowerCase() === w) })))
  // The rest of the screen, after the heading, the table's head, the notes and the foot: about 22 units.
  const fitting = stage ? hottest(allRows, Math.max(2, Math.floor((stage.down - 22) / 1.45)), (r) => r.n) : { shown: allRows, left: [] }
  const rows = fitting.shown.filter((r) => r.e).map((r) => r.e)
  const ownWords = fitting.shown.filter((r) => r.w).map((r) => r.w)
  const unshown = [
    ...moments.left.map((t) => `${t.label} (${byMoment(t)})`),
    ...fitting.left.map((r) => `${r.e ? r.e.label : `“${r.w}”`} (${r.n})`),
  ]
  const max = Math.max(1, ...touchpoints.flatMap((t) => groups.flatMap((g) =>
    rows.map((e) => count((c) => c.touchpoint === t.id && c.emotion === e.id && g.test(c))))))
  const shade = (valence, n) => (n ? SHADES[valence][Math.min(4, 1 + Math.floor((n / max) * 3.999))] : SHADES[valence][0])
  const cell = (valence, n, key) => h('td', { key, class: n ? 'hot' : 'cold', style: { 'background-color': shade(valence, n) } }, n ? String(n) : [h('span', { class: 'zero', 'aria-hidden': 'true' }, '·'), h('span', { class: 'visually-hidden' }, 'none')])

  const tally = (t, g, valence) => count((c) => c.touchpoint === t.id && g.test(c) && (emotions.find((e) => e.id === c.emotion) || {}).valence === valence)

  // Focusable, so that a keyboard can scroll it when it is wider than the screen.
  return h('div', { class: 'heatmap-wrap', tabindex: '0', role: 'region', 'aria-label': `${a.title}: the map` },
    h('table', { class: `heatmap${rows.length + ownWords.length > 8 ? ' dense' : ''}` },
      h('caption', null, `${cards.length} card${cards.length === 1 ? '' : 's'} by moment and feeling. `, groups.map((g, i) => [i ? ' · ' : '', h('strong', null, g.label), `: ${g.long}`])),
      h('thead', null,
        h('tr', null,
          h('th', { scope: 'col', rowspan: 2, class: 'corner' }, 'Feeling'),
          touchpoints.map((t) => h('th', { scope: 'colgroup', colspan: groups.length, key: t.id, class: 'tp' }, t.label))),
        h('tr', null, touchpoints.map((t) => groups.map((g) => h('th', { scope: 'col', key: `${t.id}-${g.id}`, class: `side ${g.id}` }, g.label))))),
      h('tbody', null,
        // The balance of each moment, first: how many good and bad cards from each side.
        h('tr', { class: 'balance' },
          h('th', { scope: 'row' }, 'Good ▲ / bad ▼'),
          touchpoints.map((t) => groups.map((g) => {
            const up = tally(t, g, 'positive')
            const down = tally(t, g, 'negative')
            return h('td', { key: `${t.id}-${g.id}` },
              up || down ? h('span', { 'aria-hidden': 'true' }, h('span', { class: 'up' }, `▲${up}`), ' ', h('span', { class: 'down' }, `▼${down}`)) : h('span', { 'aria-hidden': 'true' }, '·'),
              h('span', { class: 'visually-hidden' }, ` (${up} good, ${down} bad)`))
          }))),
        rows.map((e) => h('tr', { key: e.id, class: e.valence },
          h('th', { scope: 'row' },
            h('span', { class: 'swatch', style: { 'background-color': e.colour }, 'aria-hidden': 'true' }, e.icon),
            ' ', e.label, ' ', h('span', { class: 'valence-mark', 'aria-hidden': 'true' }, VALENCE[e.valence].arrow), h('span', { class: 'visually-hidden' }, ` (${VALENCE[e.valence].word.toLowerCase()})`)),
          touchpoints.map((t) => groups.map((g) =>
            cell(e.valence, count((c) => c.touchpoint === t.id && c.emotion === e.id && g.test(c)), `${t.id}-${g.id}`))))),
        ownWords.map((w) => h('tr', { key: `own-${w}`, class: 'own' },
          h('th', { scope: 'row' }, h('span', { class: 'swatch own', 'aria-hidden': 'true' }, '✎'), ' ', `“${w.charAt(0).toUpperCase()}${w.slice(1)}”`, h('span', { class: 'hint' }, ' own word')),
          touchpoints.map((t) => groups.map((g) =>
            cell('own', count((c) => c.touchpoint === t.id && c.word && c.word.toLowerCase() === w && g.test(c)), `${t.id}-${g.id}`))))))),
    unshown.length ? h('p', { class: 'hint unshown' }, `Not shown, with fewer cards: ${unshown.join(', ')}.`) : null,
    notesView(room, a, cards, level, stage))
}

/** The latest notes people wrote on their cards; on the projector, three at a time in turn. */
function notesView(room, a, cards, level, stage) {
  const latest = cards.filter((c) => c.note).reverse()
  const noted = stage ? inTurn(latest, 3, 8) : latest.slice(0, 6)
  if (!noted.length) return null
  return h('section', { class: 'notes', 'aria-labelledby': `notes-${a.id}` },
    h(`h${level + 1}`, { id: `notes-${a.id}` }, 'Latest notes'),
    h('ul', { class: 'note-wall' }, noted.map((c) => {
      const t = (a.touchpoints || []).find((x) => x.id === c.touchpoint)
      const e = (a.emotions || []).find((x) => x.id === c.emotion)
      return h('li', { key: c.id, class: `note-card ${e ? e.valence : 'own'}` },
        h('p', { class: 'note-text', dir: 'auto' }, `“${c.note}”`),
        h('p', { class: 'note-meta' }, e ? `${e.icon} ${e.label}` : c.word, ' · ', t ? t.label : c.touchpoint))
    })))
}
