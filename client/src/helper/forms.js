// The helper's forms, one per kind of activity, built for a stack of paper
// cards: one line per field, Enter saves (on a drop-down too), and after each
// save the card's own fields clear while who it is from and where it goes
// (the touchpoint, section or option) stay set for the next card, with focus
// back on the first field. What each saves is the intent the console's
// paper entry sends, with `on_behalf_of`.
import { h, focusLater, plural } from '../dom.js'
import { KIND, VALENCE } from '../board.js'
import { RATINGS } from '../phone/feedback.js'
import { select, fromFields, behalfOf, readPaperBallot } from '../console/activity.js'

/** Where each intent's entry lives (`collection` in `GET /helper/entries`). */
export const COLLECTION_OF = {
  add_card: 'cards',
  add_path_note: 'path_notes',
  add_idea: 'ideas',
  add_pledge: 'pledges',
  add_touchstone: 'touchstones',
  set_feedback: 'feedback',
  add_paper_ballot: 'paper_ballots',
}

/** The forms for activity `a`; each saves its entries through `ctx.save(intent)`. */
export function entryForms(ctx, a) {
  if (a.kind === KIND.VOTE) return [ballotForm(ctx, a), a.comments ? commentForm(ctx, a) : null]
  return [cardForm(ctx, a)]
}

/** One line of text; Enter in it saves the form. */
function line(id, label, d, k, max, { hint } = {}) {
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null,
    h('input', { id, type: 'text', maxlength: max, autocomplete: 'off', 'aria-describedby': hint ? `${id}-hint` : null, value: d[k], oninput: (e) => { d[k] = e.target.value } }))
}

const none = (label = '— choose —') => [{ id: '', label }]

/** A form that saves on Enter, from a drop-down as from a line of text. */
function form(ctx, a, name, firstLabel, submit, children) {
  return h('form', {
    class: 'helper-form',
    'aria-label': name,
    key: `${name}-${a.id}`,
    onsubmit: submit,
    onkeydown: (e) => {
      if (e.key === 'Enter' && e.target.tagName === 'SELECT') {
        e.preventDefault()
        submit()
      }
    },
  },
  h('h2', null, name),
  fromFields(ctx.room, ctx.from, `helper-${name.replace(/\W+/g, '-').toLowerCase()}`, a.id),
  children,
  h('button', { type: 'submit', class: 'button primary' }, `Save and start the next (Enter)`),
  h('p', { class: 'hint' }, `After each save, focus goes back to the first field: ${firstLabel}.`))
}

function cardForm(ctx, a) {
  const d = ctx.drafts[`card-${a.id}`] ??= { choice: '', emotion: '', word: '', note: '', text: '', name: '', organisation: '', rating: '', worked: '', change: '' }
  const set = (k) => (e) => { d[k] = e.target.value }
  const first = `helper-first-${a.id}`
  let fields
  let build
  let clear
  let firstLabel
  if (a.kind === KIND.EMOTION_MAP) {
    const emotions = a.emotions || []
    const groups = ['positive', 'neutral', 'negative']
      .map((v) => ({ label: `${VALENCE[v].word} ${VALENCE[v].arrow}`, options: emotions.filter((e) => e.valence === v) }))
      .filter((g) => g.options.length)
    if (a.own_word !== false) groups.push({ label: 'Other', options: [{ id: '__own', label: 'Their own word…' }] })
    firstLabel = 'Touchpoint'
    fields = [
      select(first, 'Touchpoint', d.choice, set('choice'), none().concat(a.touchpoints || [])),
      select(`helper-emotion-${a.id}`, 'Feeling', d.emotion, set('emotion'), null, { groups }),
      d.emotion === '__own' ? line(`helper-word-${a.id}`, 'Their word', d, 'word', 30) : null,
      line(`helper-note-${a.id}`, 'Note (optional)', d, 'note', 280),
    ]
    build = () => {
      if (!d.choice) return [`Choose the touchpoint.`, first]
      if (!d.emotion) return [`Choose the feeling.`, `helper-emotion-${a.id}`]
      if (d.emotion === '__own' && !d.word.trim()) return [`Type in their word.`, `helper-word-${a.id}`]
      const card = { kind: 'add_card', activity: a.id, touchpoint: d.choice, note: d.note.trim() || undefined }
      if (d.emotion === '__own') card.word = d.word.trim()
      else card.emotion = d.emotion
      return [card]
    }
    clear = ['emotion', 'word', 'note']
  } else if (a.kind === KIND.PATH) {
    firstLabel = 'Section'
    fields = [
      select(first, 'Section', d.choice, set('choice'), none().concat(a.sections || [])),
      line(`helper-text-${a.id}`, 'Note', d, 'text', 500),
    ]
    build = () => {
      if (!d.choice) return ['Choose the section.', first]
      if (!d.text.trim()) return ['Type in the note.', `helper-text-${a.id}`]
      return [{ kind: 'add_path_note', activity: a.id, section: d.choice, text: d.text.trim() }]
    }
    clear = ['text']
  } else if (a.kind === KIND.PLEDGE) {
    firstLabel = a.touchstones ? 'Pledge (optional if there is a word)' : 'Pledge'
    fields = [
      line(first, firstLabel, d, 'text', 500),
      line(`helper-name-${a.id}`, 'Name, only if they want it shown', d, 'name', 80),
      line(`helper-org-${a.id}`, 'Organisation (optional)', d, 'organisation', 80),
      a.touchstones ? line(`helper-word-${a.id}`, 'Word for the word cloud (optional)', d, 'word', 30) : null,
    ]
    build = () => {
      const out = []
      if (d.text.trim()) out.push({ kind: 'add_pledge', activity: a.id, text: d.text.trim(), name: d.name.trim() || undefined, organisation: d.organisation.trim() || undefined })
      if (a.touchstones && d.word.trim()) out.push({ kind: 'add_touchstone', activity: a.id, word: d.word.trim() })
      return out.length ? out : [a.touchstones ? 'Type in the pledge or the word.' : 'Type in the pledge.', first]
    }
    clear = ['text', 'name', 'organisation', 'word']
  } else if (a.kind === KIND.FEEDBACK) {
    firstLabel = 'Rating'
    fields = [
      select(first, 'Rating', d.rating, set('rating'), none().concat(RATINGS.map((words, i) => ({ id: String(i + 1), label: `${i + 1}: ${words}` })))),
      line(`helper-worked-${a.id}`, 'What worked (optional)', d, 'worked', 280),
      line(`helper-change-${a.id}`, 'What to change (optional)', d, 'change', 280),
    ]
    build = () => d.rating
      ? [{ kind: 'set_feedback', activity: a.id, rating: Number(d.rating), worked: d.worked.trim() || undefined, change: d.change.trim() || undefined }]
      : ['Choose the rating.', first]
    clear = ['rating', 'worked', 'change']
  } else {
    firstLabel = 'Idea'
    fields = [line(first, 'Idea', d, 'text', 500)]
    build = () => d.text.trim() ? [{ kind: 'add_idea', activity: a.id, text: d.text.trim() }] : ['Type in the idea.', first]
    clear = ['text']
  }
  const submit = () => {
    const built = build()
    if (typeof built[0] === 'string') {
      ctx.say(built[0], 'error')
      focusLater(`#${built[1]}`)
      return
    }
    for (const intent of built) ctx.save({ ...intent, on_behalf_of: behalfOf(ctx.from) })
    for (const k of clear) d[k] = ''
    focusLater(`#${first}`)
  }
  return form(ctx, a, a.kind === KIND.PLEDGE ? 'Paper pledge' : a.kind === KIND.FEEDBACK ? 'Paper feedback form' : 'Paper card', firstLabel, submit, fields)
}

/** A paper voter's whole ballot: their dot stickers on the poster, and scores if the vote has a scale. */
function ballotForm(ctx, a) {
  const d = ctx.drafts[`ballot-${a.id}`] ??= { dots: {}, scores: {} }
  const options = a.options || []
  const budget = a.budget || 0
  const max = Math.min(a.max_per_option || budget, budget)
  const first = `helper-ballot-first-${a.id}`
  const firstLabel = options[0] ? (budget ? `Dots on “${options[0].label}”` : `Score for “${options[0].label}”`) : 'the first option'
  const limits = `helper-ballot-limits-${a.id}`
  const dotsId = (o, i) => i === 0 ? first : `helper-dots-${a.id}-${o.id}`
  const scoreId = (o, i) => !budget && i === 0 ? first : `helper-score-${a.id}-${o.id}`
  const submit = () => {
    const ballot = readPaperBallot(ctx, a, d, { max, budget, first, dotsId })
    if (!ballot) return
    const { dots, scores } = ballot
    ctx.save({ kind: 'add_paper_ballot', activity: a.id, dots, scores, on_behalf_of: behalfOf(ctx.from) })
    d.dots = {}
    d.scores = {}
    focusLater(`#${first}`)
  }
  const scoreChoices = none('Not scored').concat([1, 2, 3, 4, 5].map((n) => ({ id: String(n), label: String(n) })))
  return form(ctx, a, 'Paper ballot', firstLabel, submit, [
    h('p', { class: 'hint', id: limits }, budget ? `${plural(budget, 'dot')} each, at most ${max} on one option.` : 'This vote has no dots, only scores.'),
    options.map((o, i) => h('div', { class: 'ballot-row', key: o.id },
      budget ? h('div', { class: 'field' },
        h('label', { for: dotsId(o, i) }, `Dots on “${o.label}”`),
        h('input', { id: dotsId(o, i), type: 'text', inputmode: 'numeric', autocomplete: 'off', 'aria-describedby': limits, value: d.dots[o.id] || '', oninput: (e) => { d.dots[o.id] = e.target.value } }))
        : null,
      a.scale ? select(scoreId(o, i), `Score for “${o.label}” (1 to 5)`, d.scores[o.id] || '', (e) => { d.scores[o.id] = e.target.value }, scoreChoices) : null)),
  ])
}

/** A comment written on a vote's poster, for one option. */
function commentForm(ctx, a) {
  const d = ctx.drafts[`comment-${a.id}`] ??= { choice: '', text: '' }
  const first = `helper-comment-first-${a.id}`
  const submit = () => {
    if (!d.choice) {
      ctx.say('Choose the option the comment is about.', 'error')
      return focusLater(`#${first}`)
    }
    if (!d.text.trim()) {
      ctx.say('Type in the comment.', 'error')
      return focusLater(`#helper-comment-${a.id}`)
    }
    ctx.save({ kind: 'add_idea', activity: a.id, option: d.choice, text: d.text.trim(), on_behalf_of: behalfOf(ctx.from) })
    d.text = ''
    focusLater(`#${first}`)
  }
  return form(ctx, a, 'Paper comment', 'Option', submit, [
    select(first, 'Option', d.choice, (e) => { d.choice = e.target.value }, none().concat(a.options || [])),
    line(`helper-comment-${a.id}`, 'Comment', d, 'text', 500),
  ])
}

/** An entry in a few words, for the running list: what it says, and who it is from. */
export function describe(room, a, collection, fields) {
  const label = (list, id) => ((list || []).find((x) => x.id === id) || {}).label || id
  const quote = (text) => text ? `“${text}”` : ''
  const perspective = fields.perspective ? label(room.perspectives, fields.perspective) : 'perspective not said'
  const role = fields.role && fields.perspective ? label((room.perspectives.find((p) => p.id === fields.perspective) || {}).roles, fields.role) : ''
  const what = (() => {
    switch (collection) {
      case 'cards': return [label(a && a.touchpoints, fields.touchpoint), fields.emotion ? label(a && a.emotions, fields.emotion) : quote(fields.word), quote(fields.note)]
      case 'path_notes': return [label(a && a.sections, fields.section), quote(fields.text)]
      case 'ideas': return [fields.option ? `On ${label(a && a.options, fields.option)}` : '', quote(fields.text)]
      case 'pledges': return ['Pledge', quote(fields.text), fields.name || '']
      case 'touchstones': return ['Word', quote(fields.word)]
      case 'feedback': return [`Rating ${fields.rating}`, quote(fields.worked), quote(fields.change)]
      case 'paper_ballots': return ['Ballot', Object.entries(fields.dots || {}).map(([o, n]) => `${plural(n, 'dot')} on ${label(a && a.options, o)}`).join(', '),
        Object.entries(fields.scores || {}).map(([o, n]) => `${label(a && a.options, o)} scored ${n}`).join(', ')]
      default: return []
    }
  })()
  return what.concat([role ? `${perspective}, ${role}` : perspective]).filter(Boolean).join(' · ')
}
