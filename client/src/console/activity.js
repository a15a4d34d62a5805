// One activity in the console: its live results (votes, even before the
// reveal), its touchpoints, options or sections (add, rename, move: buttons,
// never dragging), and the quick forms for paper cards and paper ballots.
import { h, focusLater, plural } from '../dom.js'
import { choicesOf, contributions, kindWords, COLLECTION, KIND } from '../board.js'
import { resultsView } from '../projector/votes.js'
import { heatmapView } from '../projector/heatmap.js'
import { feedbackSummary } from './feedback.js'
import { RATINGS } from '../phone/feedback.js'

export function activityPanel(ctx, a) {
  return h('section', { class: 'panel activity-panel', 'aria-labelledby': 'panel-h', key: `panel-${a.id}` },
    h('p', { class: 'kicker' }, kindWords(a)),
    h('h2', { id: 'panel-h' }, a.title),
    a.prompt ? h('p', { class: 'hint' }, a.prompt) : null,
    summary(ctx, a),
    assistedEntry(ctx, a),
    paperBallot(ctx, a),
    choicesEditor(ctx, a))
}

function summary(ctx, a) {
  const doc = ctx.board.doc
  if (a.kind === KIND.VOTE) {
    const results = ctx.results[a.id]
    return h('div', { class: 'console-results' },
      a.revealed ? h('p', { class: 'notice info' }, 'The results are shown on the projector and the phones.') : h('p', { class: 'notice info' }, 'Only you see these results until you reveal them.'),
      results ? resultsView(a, { level: 3, results }) : h('p', { class: 'hint' }, a.state === 'pending' ? 'Open the vote to see results as they come in.' : 'Loading the results…'),
      budgetEditor(ctx, a))
  }
  if (a.kind === KIND.EMOTION_MAP) {
    return h('details', { class: 'map-preview' }, h('summary', null, `The map (${plural(contributions(doc, COLLECTION.CARDS, a.id).length, 'card')})`), heatmapView(doc, ctx.room, a, { level: 3 }))
  }
  if (a.kind === KIND.FEEDBACK) return feedbackSummary(ctx, a)
  const counts = { [KIND.PATH]: COLLECTION.PATH_NOTES, [KIND.PLEDGE]: COLLECTION.PLEDGES, [KIND.IDEAS]: COLLECTION.IDEAS }
  const n = contributions(doc, counts[a.kind], a.id).length
  return h('p', null, plural(n, a.kind === KIND.PLEDGE ? 'pledge' : a.kind === KIND.PATH ? 'note' : 'idea'), ' so far.')
}

function budgetEditor(ctx, a) {
  if (a.state !== 'pending') return h('p', { class: 'hint' }, `${plural(a.budget || 0, 'dot')} each${a.max_per_option ? `, at most ${a.max_per_option} on one option` : ''}.`)
  const d = ctx.drafts[`budget-${a.id}`] ??= { value: String(a.budget || 0) }
  return h('form', { class: 'inline-form', 'aria-label': 'Dots per person', onsubmit: () => {
    const budget = parseInt(d.value, 10)
    if (budget >= 0) ctx.act({ kind: 'set_budget', activity: a.id, budget }, `give everyone ${plural(budget, 'dot')}`)
  } },
  h('label', { for: `budget-${a.id}` }, 'Dots per person'),
  h('input', { id: `budget-${a.id}`, type: 'text', inputmode: 'numeric', value: d.value, oninput: (e) => { d.value = e.target.value } }),
  h('button', { type: 'submit', class: 'button small secondary' }, 'Set'))
}

const CHOICE_WORDS = { emotion_map: ['touchpoint', 'Touchpoints of the journey'], vote: ['option', 'Options'], path: ['section', 'Sections of the PATH'] }

function choicesEditor(ctx, a) {
  const words = CHOICE_WORDS[a.kind]
  if (!words) return null
  const [noun, title] = words
  const choices = choicesOf(a)
  const edits = ctx.drafts[`choices-${a.id}`] ??= { adding: '', renaming: {} }
  const move = (c, to) => {
    ctx.act({ kind: 'move_choice', activity: a.id, id: c.id, to }, `move “${c.label}” to place ${to + 1}`)
    // Focus follows the moved row's same button, so a keyboard user can keep moving it.
    focusLater(`#move-${to < choices.indexOf(c) ? 'up' : 'down'}-${c.id}`)
  }
  return h('section', { class: 'choices-editor', 'aria-labelledby': `choices-h-${a.id}` },
    h('h3', { id: `choices-h-${a.id}` }, title),
    h('p', { class: 'hint' }, 'Changes show on every phone and on the projector at once.'),
    h('ol', { class: 'choice-list' }, choices.map((c, i) => {
      const renaming = edits.renaming[c.id]
      return h('li', { key: c.id },
        renaming != null
          ? h('form', { class: 'inline-form', 'aria-label': `Rename ${c.label}`, onsubmit: () => {
            // Read at the moment of submitting: the closure's copy may be a keystroke behind.
            const label = (edits.renaming[c.id] || '').trim()
            if (label) ctx.act({ kind: 'rename_choice', activity: a.id, id: c.id, label }, `rename “${c.label}” to “${label}”`)
            delete edits.renaming[c.id]
            focusLater(`#rename-${c.id}`)
          } },
          h('label', { class: 'visually-hidden', for: `rename-input-${c.id}` }, `New name for ${c.label}`),
          h('input', { id: `rename-input-${c.id}`, type: 'text', maxlength: 120, value: renaming, oninput: (e) => { edits.renaming[c.id] = e.target.value } }),
          h('button', { type: 'submit', class: 'button small primary' }, 'Save'),
          h('button', { type: 'button', class: 'button small secondary', onclick: () => { delete edits.renaming[c.id]; focusLater(`#rename-${c.id}`) } }, 'Cancel'))
          : h('div', { class: 'choice-row' },
            h('span', { class: 'choice-label' }, `${i + 1}. ${c.label}`),
            h('span', { class: 'row-actions' },
              h('button', { type: 'button', id: `rename-${c.id}`, class: 'button small secondary', 'aria-label': `Rename “${c.label}”`, onclick: () => { edits.renaming[c.id] = c.label; focusLater(`#rename-input-${c.id}`) } }, 'Rename'),
              h('button', { type: 'button', id: `move-up-${c.id}`, class: 'button small secondary', disabled: i === 0, 'aria-label': `Move “${c.label}” up`, onclick: () => move(c, i - 1) }, '↑ Up'),
              h('button', { type: 'button', id: `move-down-${c.id}`, class: 'button small secondary', disabled: i === choices.length - 1, 'aria-label': `Move “${c.label}” down`, onclick: () => move(c, i + 1) }, '↓ Down'))))
    })),
    h('form', { class: 'inline-form', 'aria-label': `Add a ${noun}`, onsubmit: () => {
      const label = edits.adding.trim()
      if (!label) return
      ctx.act({ kind: 'add_choice', activity: a.id, label }, `add the ${noun} “${label}”`)
      edits.adding = ''
      focusLater(`#add-choice-${a.id}`)
    } },
    h('label', { for: `add-choice-${a.id}` }, `New ${noun}`),
    h('input', { id: `add-choice-${a.id}`, type: 'text', maxlength: 120, value: edits.adding, oninput: (e) => { edits.adding = e.target.value } }),
    h('button', { type: 'submit', class: 'button small primary' }, `Add ${noun}`)))
}

/**
 * Paper cards, typed in quickly: the perspective and the last choices stay
 * set between cards, the text clears, and focus goes back to the first field.
 */
function assistedEntry(ctx, a) {
  if (a.kind === KIND.VOTE && !a.comments) return null
  const room = ctx.room
  const d = ctx.drafts[`paper-${a.id}`] ??= { perspective: '', role: '', touchpoint: '', emotion: '', word: '', note: '', text: '', section: '', option: '', name: '', organisation: '', rating: '', worked: '', change: '', count: 0 }
  const set = (k) => (e) => { d[k] = e.target.value }
  const text = (id, label, k, { input = false, max = 500 } = {}) => h('div', { class: 'field' },
    h('label', { for: id }, label),
    input ? h('input', { id, type: 'text', maxlength: max, value: d[k], oninput: set(k) }) : h('textarea', { id, rows: 2, maxlength: max, value: d[k], oninput: set(k) }))
  const first = `paper-first-${a.id}`
  let fields
  let body
  if (a.kind === KIND.EMOTION_MAP) {
    const emotions = a.emotions || []
    const groups = [['positive', 'Good feelings ▲'], ['neutral', 'Neither ●'], ['negative', 'Bad feelings ▼']]
      .map(([v, label]) => ({ label, options: emotions.filter((e) => e.valence === v) })).filter((g) => g.options.length)
    if (a.own_word !== false) groups.push({ label: 'Other', options: [{ id: '__own', label: 'Their own word…' }] })
    fields = [
      select(first, 'Touchpoint', d.touchpoint, set('touchpoint'), [{ id: '', label: '— choose —' }].concat(a.touchpoints || [])),
      select(`paper-emotion-${a.id}`, 'Feeling', d.emotion, set('emotion'), null, { groups }),
      d.emotion === '__own' ? text(`paper-word-${a.id}`, 'Their word', 'word', { input: true, max: 30 }) : null,
      text(`paper-note-${a.id}`, 'Note (optional)', 'note', { max: 280 }),
    ]
    body = () => {
      if (!d.touchpoint || !d.emotion) return null
      const card = { kind: 'add_card', activity: a.id, touchpoint: d.touchpoint, note: d.note.trim() || undefined }
      if (d.emotion === '__own') card.word = d.word.trim()
      else card.emotion = d.emotion
      return card
    }
  } else if (a.kind === KIND.VOTE) {
    fields = [
      select(first, 'Option', d.option, set('option'), [{ id: '', label: '— choose —' }].concat(a.options || [])),
      text(`paper-text-${a.id}`, 'Comment', 'text'),
    ]
    body = () => d.option && d.text.trim() ? { kind: 'add_idea', activity: a.id, option: d.option, text: d.text.trim() } : null
  } else if (a.kind === KIND.PATH) {
    fields = [
      select(first, 'Section', d.section, set('section'), [{ id: '', label: '— choose —' }].concat(a.sections || [])),
      text(`paper-text-${a.id}`, 'Note', 'text'),
    ]
    body = () => d.section && d.text.trim() ? { kind: 'add_path_note', activity: a.id, section: d.section, text: d.text.trim() } : null
  } else if (a.kind === KIND.PLEDGE) {
    fields = [
      text(first, a.touchstones ? 'Pledge (optional if there is a word)' : 'Pledge', 'text'),
      text(`paper-name-${a.id}`, 'Name, only if they want it shown', 'name', { input: true, max: 80 }),
      text(`paper-org-${a.id}`, 'Organisation (optional)', 'organisation', { input: true, max: 80 }),
      a.touchstones ? text(`paper-word-${a.id}`, 'Word for the word cloud (optional)', 'word', { input: true, max: 30 }) : null,
    ]
    body = () => {
      const out = []
      if (d.text.trim()) out.push({ kind: 'add_pledge', activity: a.id, text: d.text.trim(), name: d.name.trim() || undefined, organisation: d.organisation.trim() || undefined })
      if (a.touchstones && d.word.trim()) out.push({ kind: 'add_touchstone', activity: a.id, word: d.word.trim() })
      return out.length ? out : null
    }
  } else if (a.kind === KIND.FEEDBACK) {
    fields = [
      select(first, 'Rating', d.rating, set('rating'), [{ id: '', label: '— choose —' }].concat(RATINGS.map((words, i) => ({ id: String(i + 1), label: `${i + 1}: ${words}` })))),
      text(`paper-worked-${a.id}`, 'What worked (optional)', 'worked', { max: 280 }),
      text(`paper-change-${a.id}`, 'What to change (optional)', 'change', { max: 280 }),
    ]
    body = () => d.rating ? { kind: 'set_feedback', activity: a.id, rating: Number(d.rating), worked: d.worked.trim() || undefined, change: d.change.trim() || undefined } : null
  } else {
    fields = [text(first, 'Idea', 'text')]
    body = () => d.text.trim() ? { kind: 'add_idea', activity: a.id, text: d.text.trim() } : null
  }
  const submit = () => {
    const intent = body()
    if (!intent) {
      ctx.say('Fill in the card first: every field except the optional ones.', 'error')
      focusLater(`#${first}`)
      return
    }
    const on_behalf_of = behalfOf(d)
    for (const one of [].concat(intent)) ctx.act({ ...one, on_behalf_of }, one.kind === 'add_touchstone' ? 'add a word from paper' : 'add a paper card')
    d.count++
    Object.assign(d, { note: '', text: '', word: '', name: '', organisation: '', rating: '', worked: '', change: '' })
    focusLater(`#${first}`)
  }
  // Open by itself while the activity is open (a new element, since the person owns `open` after that).
  return h('details', { class: 'paper-entry', key: `paper-${a.id}-${a.state}`, open: a.state === 'open' ? true : null },
    h('summary', null, 'Type in a paper card'),
    a.state === 'pending' ? h('p', { class: 'hint' }, 'Open the activity first.') : h('form', { onsubmit: submit, 'aria-label': 'Paper card' },
      fromFields(room, d, 'paper', a.id),
      fields,
      h('button', { type: 'submit', class: 'button primary' }, 'Add the paper card'),
      d.count ? h('span', { class: 'hint' }, ` ${plural(d.count, 'paper card')} typed in here.`) : null))
}

export function select(id, label, value, onchange, options, { groups } = {}) {
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    h('select', { id, value, onchange },
      groups
        ? [h('option', { value: '', key: 'none' }, '— choose —'), groups.map((g) => h('optgroup', { label: g.label, key: g.label }, g.options.map((o) => h('option', { value: o.id, key: o.id, selected: value === o.id }, o.label))))]
        : options.map((o) => h('option', { value: o.id, key: o.id || 'none', selected: value === o.id }, o.label))))
}

/** Who a paper card or ballot is from: a perspective and, if it has roles, a role; both optional. */
export function fromFields(room, d, prefix, activity) {
  const none = { id: '', label: 'Not said' }
  const perspective = room.perspectives.find((p) => p.id === d.perspective)
  return h('div', { class: 'paper-who' },
    select(`${prefix}-perspective-${activity}`, 'From', d.perspective, (e) => { d.perspective = e.target.value; d.role = '' }, [none].concat(room.perspectives)),
    perspective && (perspective.roles || []).length ? select(`${prefix}-role-${activity}`, 'Role', d.role, (e) => { d.role = e.target.value }, [none].concat(perspective.roles)) : null)
}

export function behalfOf(d) {
  const on_behalf_of = {}
  if (d.perspective) on_behalf_of.perspective = d.perspective
  if (d.role) on_behalf_of.role = d.role
  return on_behalf_of
}

/**
 * A paper ballot's dots and scores as typed in, checked with the phone's rules
 * (whole numbers, at most `max` on one option, `budget` in all, something
 * given), here as well as by the server, so a slip of the finger is fixed in
 * place rather than refused after the form has cleared. On a slip it says
 * what is wrong, moves focus to the field and answers null.
 */
export function readPaperBallot(ctx, a, d, { max, budget, first, dotsId }) {
  const dots = {}
  const scores = {}
  for (const [i, o] of (a.options || []).entries()) {
    const typed = String(d.dots[o.id] || '').trim()
    if (typed && !(/^[0-9]{1,3}$/.test(typed) && Number(typed) <= max)) {
      ctx.say(`Dots on “${o.label}” must be a whole number from 0 to ${max}.`, 'error')
      focusLater(`#${dotsId(o, i)}`)
      return null
    }
    if (typed && Number(typed) > 0) dots[o.id] = Number(typed)
    if (a.scale && d.scores[o.id]) scores[o.id] = Number(d.scores[o.id])
  }
  const placed = Object.values(dots).reduce((sum, n) => sum + n, 0)
  if (placed > budget) {
    ctx.say(`That is ${plural(placed, 'dot')}; each person has ${budget}.`, 'error')
    focusLater(`#${first}`)
    return null
  }
  if (!Object.keys(dots).length && !Object.keys(scores).length) {
    ctx.say('Type in at least one dot or score first.', 'error')
    focusLater(`#${first}`)
    return null
  }
  return { dots, scores }
}

/**
 * A paper voter's whole ballot (their dot stickers on the poster) typed in at
 * once, with the same rules as a phone's: who it is from stays set for the
 * next ballot, the numbers clear, and focus goes back to the first field.
 */
function paperBallot(ctx, a) {
  if (a.kind !== KIND.VOTE) return null
  const d = ctx.drafts[`ballot-${a.id}`] ??= { perspective: '', role: '', dots: {}, scores: {}, count: 0 }
  const options = a.options || []
  const budget = a.budget || 0
  const max = Math.min(a.max_per_option || budget, budget)
  const first = `ballot-first-${a.id}`
  const limits = `ballot-limits-${a.id}`
  const dotsId = (o, i) => i === 0 ? first : `ballot-dots-${a.id}-${o.id}`
  const submit = () => {
    const ballot = readPaperBallot(ctx, a, d, { max, budget, first, dotsId })
    if (!ballot) return
    const { dots, scores } = ballot
    const item = ctx.act({ kind: 'add_paper_ballot', activity: a.id, dots, scores, on_behalf_of: behalfOf(d) }, 'add a paper ballot')
    // Its id, to take it back if it was a slip of the finger.
    item.onSaved = (result) => { d.last = result && result.id }
    d.count++
    d.dots = {}
    d.scores = {}
    focusLater(`#${first}`)
  }
  const scoreChoices = [{ id: '', label: 'Not scored' }].concat([1, 2, 3, 4, 5].map((n) => ({ id: String(n), label: String(n) })))
  return h('details', { class: 'paper-entry paper-ballot', key: `ballot-${a.id}-${a.state}`, open: a.state === 'open' ? true : null },
    h('summary', null, 'Type in a paper ballot'),
    a.state === 'pending' ? h('p', { class: 'hint' }, 'Open the vote first.') : h('form', { onsubmit: submit, 'aria-label': 'Paper ballot' },
      fromFields(ctx.room, d, 'ballot', a.id),
      h('p', { class: 'hint', id: limits }, budget ? `${plural(budget, 'dot')} each, at most ${max} on one option.` : 'This vote has no dots, only scores.'),
      options.map((o, i) => h('div', { class: 'ballot-row', key: o.id },
        budget ? h('div', { class: 'field' },
          h('label', { for: dotsId(o, i) }, `Dots on “${o.label}”`),
          h('input', { id: dotsId(o, i), type: 'text', inputmode: 'numeric', 'aria-describedby': limits, value: d.dots[o.id] || '', oninput: (e) => { d.dots[o.id] = e.target.value } }))
          : null,
        a.scale ? select(!budget && i === 0 ? first : `ballot-score-${a.id}-${o.id}`, `Score for “${o.label}” (1 to 5)`, d.scores[o.id] || '', (e) => { d.scores[o.id] = e.target.value }, scoreChoices) : null)),
      h('button', { type: 'submit', class: 'button primary' }, 'Add the paper ballot'),
      d.count ? h('span', { class: 'hint' }, ` ${plural(d.count, 'paper ballot')} typed in here.`) : null,
      d.last ? h('button', { type: 'button', class: 'button small secondary', onclick: () => {
        ctx.act({ kind: 'withdraw', id: d.last }, 'take back the last paper ballot')
        d.last = null
        d.count = Math.max(0, d.count - 1)
        focusLater(`#${first}`)
      } }, 'Take back the last paper ballot') : null))
}
