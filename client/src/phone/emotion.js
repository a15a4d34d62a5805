// The emotional map on a phone: choose a moment of the journey, then how it
// felt (icon, word and colour, grouped as good, neutral and bad so that the
// colour is never the only signal), then an optional note. Each step folds
// away once answered, and focus moves on to the next, so an old phone with
// large text scrolls as little as possible.
import { h, focusLater } from '../dom.js'
import { contribution, VALENCE, COLLECTION } from '../board.js'
import { changedByArrow } from '../a11y.js'
import { LIMITS, countView, countedProps, fitsLimits } from './counted.js'

const NOTE_MAX = LIMITS.note
const WORD_MAX = LIMITS.word

export function emotionView(ctx, a, locked) {
  const d = ctx.draft(a.id)
  const touchpoint = (a.touchpoints || []).find((t) => t.id === d.touchpoint)
  const emotion = (a.emotions || []).find((e) => e.id === d.emotion)
  const ownWord = d.emotion === '__own'
  const editing = d.editing ? contribution(ctx.board.doc, COLLECTION.CARDS, d.editing) : null
  const mine = myCards(ctx, a)
  const changed = () => ctx.saveDrafts()
  const confirmTouchpoint = () => {
    d.touchpoint = d.tentativeTouchpoint
    d.tentativeTouchpoint = null
    changed()
    focusLater(d.emotion ? '#note' : '#emotions legend')
  }
  const confirmEmotion = () => {
    d.emotion = d.tentativeEmotion
    d.tentativeEmotion = null
    changed()
    focusLater(d.emotion === '__own' ? '#own-word' : '#note')
  }

  const waiting = ctx.outbox.pending().filter((item) => item.body.kind === 'add_card' && item.body.activity === a.id)
  if (locked) return mine.length ? cardList(ctx, a, mine, true) : null

  const step1 = touchpoint
    ? h('div', { class: 'step-done' },
      h('p', null, h('span', { class: 'step-label' }, 'Moment: '), h('strong', null, touchpoint.label)),
      h('button', { type: 'button', class: 'link-button', 'aria-label': `Change the moment (now ${touchpoint.label})`, onclick: () => { d.touchpoint = null; changed(); focusLater('#touchpoints legend') } }, 'Change'))
    : h('fieldset', { class: 'choices', id: 'touchpoints' },
      h('legend', { tabindex: '-1' }, h('span', { class: 'step-number' }, '1'), 'Choose a moment in the journey'),
      (a.touchpoints || []).map((t) => h('label', { class: `choice${d.tentativeTouchpoint === t.id ? ' is-checked' : ''}`, key: `tp-${t.id}` },
        h('input', { type: 'radio', name: `tp-${a.id}`, value: t.id, checked: d.tentativeTouchpoint === t.id,
          onchange: () => { d.tentativeTouchpoint = t.id; if (!changedByArrow()) confirmTouchpoint() },
          onkeydown: (e) => { if (e.key === 'Enter') { e.preventDefault(); d.tentativeTouchpoint = t.id; confirmTouchpoint() } } }),
        h('span', null, t.label, t.hint ? h('span', { class: 'hint' }, t.hint) : null))),
      d.tentativeTouchpoint ? h('button', { type: 'button', class: 'button secondary', onclick: confirmTouchpoint }, 'Continue') : null)

  const step2 = !touchpoint ? null : (emotion || ownWord)
    ? h('div', { class: 'step-done' },
      ownWord
        ? h('p', null, h('span', { class: 'step-label' }, 'Feeling, in your own word: '), h('strong', null, d.word || '(not written yet)'))
        : h('p', null, h('span', { class: 'step-label' }, 'Feeling: '), emotionChip(emotion)),
      h('button', { type: 'button', class: 'link-button', 'aria-label': 'Change the feeling', onclick: () => { d.emotion = null; changed(); focusLater('#emotions legend') } }, 'Change'))
    : h('fieldset', { class: 'choices emotions', id: 'emotions' },
      h('legend', { tabindex: '-1' }, h('span', { class: 'step-number' }, '2'), `How did “${touchpoint.label}” feel?`),
      ['positive', 'neutral', 'negative'].map((valence) => {
        const words = (a.emotions || []).filter((e) => e.valence === valence)
        if (!words.length) return null
        return h('div', { class: `valence-group ${valence}`, key: `v-${valence}`, role: 'group', 'aria-labelledby': `vh-${valence}` },
          h('p', { class: 'valence-heading', id: `vh-${valence}` },
            h('span', { 'aria-hidden': 'true' }, VALENCE[valence].arrow + ' '),
            valence === 'positive' ? 'Good feelings' : valence === 'negative' ? 'Bad feelings' : 'Neither good nor bad'),
          h('div', { class: 'emotion-grid' }, words.map((e) => h('label', {
            class: `emotion-card${d.tentativeEmotion === e.id ? ' is-checked' : ''}`, key: `em-${e.id}`, style: { 'background-color': e.colour },
          },
          h('input', { type: 'radio', name: `em-${a.id}`, value: e.id, checked: d.tentativeEmotion === e.id,
            onchange: () => { d.tentativeEmotion = e.id; if (!changedByArrow()) confirmEmotion() },
            onkeydown: (k) => { if (k.key === 'Enter') { k.preventDefault(); d.tentativeEmotion = e.id; confirmEmotion() } } }),
          h('span', { class: 'icon', 'aria-hidden': 'true' }, e.icon), h('span', null, e.label)))))
      }),
      a.own_word !== false ? h('label', { class: `choice own-word${d.tentativeEmotion === '__own' ? ' is-checked' : ''}`, key: 'own' },
        h('input', { type: 'radio', name: `em-${a.id}`, value: '__own', checked: d.tentativeEmotion === '__own',
          onchange: () => { d.tentativeEmotion = '__own'; if (!changedByArrow()) confirmEmotion() } }),
        h('span', null, 'None of these: my own word')) : null,
      d.tentativeEmotion ? h('button', { type: 'button', class: 'button secondary', onclick: confirmEmotion }, 'Continue') : null)

  const step3 = !touchpoint || !(emotion || ownWord) ? null : [
    ownWord ? h('div', { class: 'field' },
      h('label', { for: 'own-word' }, 'Your word for how it felt'),
      h('input', { ...countedProps('own-word', d.word, WORD_MAX), type: 'text', autocomplete: 'off',
        oninput: (e) => { d.word = e.target.value; changed() } }),
      countView('own-word', d.word, WORD_MAX)) : null,
    h('div', { class: 'field' },
      h('label', { for: 'note' }, h('span', { class: 'step-number' }, '3'), 'Add a short note (optional)'),
      h('p', { class: 'hint', id: 'note-hint' }, 'What happened? Please do not write names.'),
      h('textarea', { ...countedProps('note', d.note, NOTE_MAX, 'note-hint'), rows: 3,
        oninput: (e) => { d.note = e.target.value; changed() } }),
      countView('note', d.note, NOTE_MAX)),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button primary' }, editing ? 'Save the changes' : 'Place my card'),
      editing ? h('button', { type: 'button', class: 'button secondary', onclick: () => { clear(d); changed() } }, 'Cancel') : null),
  ]

  const submit = () => {
    if (!touchpoint) { if (d.tentativeTouchpoint) confirmTouchpoint(); return }
    if (!emotion && !ownWord) { if (d.tentativeEmotion) confirmEmotion(); return }
    if (ownWord && !(d.word || '').trim()) {
      ctx.say('Please write your word, or choose one of the cards.', 'error', 'card')
      focusLater('#own-word')
      return
    }
    if (!fitsLimits(ctx, 'card', [['own-word', 'your word', ownWord ? d.word : '', WORD_MAX], ['note', 'your note', d.note, NOTE_MAX]])) return
    const fields = { touchpoint: d.touchpoint, note: (d.note || '').trim() }
    if (ownWord) fields.word = d.word.trim()
    else fields.emotion = d.emotion
    const feeling = ownWord ? fields.word : emotion.label
    const restore = { activity: a.id, fields: { touchpoint: d.touchpoint, emotion: d.emotion, word: d.word, note: d.note, editing: d.editing } }
    if (editing) {
      ctx.send({ kind: 'edit_card', id: d.editing, ...fields, note: fields.note }, `your changed card “${feeling}” at “${touchpoint.label}”`, { restore, place: 'card' })
    } else {
      ctx.send({ kind: 'add_card', activity: a.id, ...fields, note: fields.note || undefined },
        `your card “${feeling}” at “${touchpoint.label}”`, { collection: COLLECTION.CARDS, restore, place: 'card' })
    }
    clear(d)
    changed()
    focusLater('#notice')
  }

  return h('div', null,
    personasView(a),
    h('form', { class: 'card-form', onsubmit: submit, 'aria-label': editing ? 'Change your card' : 'Place an emotion card' },
      ctx.noticeAt('card'),
      editing ? h('p', { class: 'notice info' }, 'You are changing one of your cards.') : null,
      step1, step2, step3),
    mine.length || waiting.length ? cardList(ctx, a, mine, false, waiting) : null)
}

function clear(d) {
  d.tentativeTouchpoint = null
  d.tentativeEmotion = null
  d.touchpoint = null
  d.emotion = null
  d.word = ''
  d.note = ''
  d.editing = null
}

export function emotionChip(e) {
  if (!e) return h('span', null, '?')
  return h('span', { class: 'chip', style: { 'background-color': e.colour } },
    h('span', { 'aria-hidden': 'true' }, e.icon + ' '), e.label,
    h('span', { class: 'visually-hidden' }, ` (${VALENCE[e.valence] ? VALENCE[e.valence].word.toLowerCase() : ''})`))
}

function myCards(ctx, a) {
  const ids = new Set(ctx.me.contributions.filter((c) => c.collection === COLLECTION.CARDS).map((c) => c.id))
  const out = []
  for (const id of ids) {
    const card = contribution(ctx.board.doc, COLLECTION.CARDS, id)
    if (card && card.activity === a.id) out.push(card)
  }
  return out
}

function cardList(ctx, a, cards, locked, waiting = []) {
  return h('section', { class: 'my-list', 'aria-labelledby': 'my-cards' },
    h('h2', { id: 'my-cards' }, 'Your cards on this map'),
    h('ul', null, waiting.map((item) => h('li', { key: item.key, class: 'my-item pending' },
      h('p', null, item.label.replace(/^your card /, '')),
      h('p', { class: 'hint' }, 'Not sent yet: it will be sent by itself.'))),
    cards.map((card) => {
      const t = (a.touchpoints || []).find((x) => x.id === card.touchpoint)
      const e = (a.emotions || []).find((x) => x.id === card.emotion)
      return h('li', { key: card.id, class: 'my-item' },
        h('p', null, h('strong', null, t ? t.label : card.touchpoint), ': ', card.word ? h('span', { class: 'chip own' }, card.word) : emotionChip(e)),
        card.note ? h('p', { class: 'note', dir: 'auto' }, card.note) : null,
        hiddenHint(card, 'this card'),
        locked ? null : h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'button small secondary', 'aria-label': `Change your card at ${t ? t.label : ''}`, onclick: () => {
            const d = ctx.draft(a.id)
            Object.assign(d, { editing: card.id, touchpoint: card.touchpoint, emotion: card.word ? '__own' : card.emotion, word: card.word || '', note: card.note || '' })
            ctx.saveDrafts()
            focusLater('#note')
          } }, 'Change'),
          withdrawButton(ctx, card, `your card at “${t ? t.label : ''}”`)))
    })))
}

/** Why one's own contribution is not on the board: it arrived late, or the facilitator hid it. */
export function hiddenHint(c, what = 'this') {
  if (!c.hidden) return null
  return h('p', { class: 'hint' }, c.late
    ? 'This arrived after the activity closed. It is kept; the facilitator can still show it.'
    : `The facilitator has hidden ${what} from the board.`)
}

export function withdrawButton(ctx, c, what) {
  return h('button', {
    type: 'button',
    class: 'button small danger',
    'aria-label': `Take back ${what}`,
    onclick: () => {
      if (!window.confirm(`Take back ${what}? It will be removed from the board.`)) return
      ctx.send({ kind: 'withdraw', id: c.id }, `taking back ${what}`)
      focusLater('#notice')
    },
  }, 'Take back')
}

/** The imaginary people of a desired map, to help think beyond oneself. */
export function personasView(a, { open = false } = {}) {
  const personas = a.personas || []
  if (!personas.length) return null
  const names = personas.map((p) => p.name)
  const title = `Think of ${names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}` : names[0]}`
  return h('details', { class: 'personas', open: open || null },
    h('summary', null, title),
    h('ul', null, personas.map((p) => h('li', { key: p.name, class: 'persona' }, h('strong', null, p.name), ': ', p.description))))
}
