// "My contributions": everything this phone added to the room, saved or
// still on its way, with a way to change or take back each one while its
// activity is still open, and to erase everything at once (`erase_me`),
// after a confirmation that says what goes and that it cannot be undone.
import { h, focusLater } from '../dom.js'
import { contribution, kindWords, COLLECTION } from '../board.js'
import { emotionChip, hiddenHint, withdrawButton } from './emotion.js'
import { followUpLine } from './forms.js'
import { RATINGS } from './feedback.js'

const WHAT = { cards: 'Emotion card', ideas: 'Idea or comment', path_notes: 'PATH note', pledges: 'Pledge', touchstones: 'Word for the word cloud', feedback: 'Feedback on the event' }

function text(ctx, c, a) {
  if (c.collection === COLLECTION.CARDS) {
    const t = a && (a.touchpoints || []).find((x) => x.id === c.touchpoint)
    const e = a && (a.emotions || []).find((x) => x.id === c.emotion)
    return [h('strong', null, (t ? t.label : c.touchpoint) + ': '), c.word ? h('span', { class: 'chip own' }, c.word) : emotionChip(e), c.note ? ` “${c.note}”` : '']
  }
  if (c.collection === COLLECTION.TOUCHSTONES) return c.word
  if (c.collection === COLLECTION.PATH_NOTES) {
    const s = a && (a.sections || []).find((x) => x.id === c.section)
    return [h('strong', null, (s ? s.label : c.section) + ': '), c.text]
  }
  if (c.collection === COLLECTION.IDEAS && c.option) {
    const o = a && (a.options || []).find((x) => x.id === c.option)
    return [h('strong', null, `On “${o ? o.label : c.option}”: `), c.text]
  }
  if (c.collection === COLLECTION.PLEDGES) return [c.text, c.name ? ` (${c.name})` : '', followUpLine(ctx, c)]
  if (c.collection === COLLECTION.FEEDBACK) return [h('strong', null, `${c.rating}: ${RATINGS[c.rating - 1] || ''}`), c.worked ? ` What worked: ${c.worked}` : '', c.change ? ` What to change: ${c.change}` : '']
  return c.text
}

export function mineView(ctx) {
  const room = ctx.room
  const saved = ctx.me.contributions
    .map((c) => contribution(ctx.board.doc, c.collection, c.id))
    .filter(Boolean)
  // Held for the facilitator: not on the board, so only its kind is known here, and its words if this phone sent it.
  const waiting = ctx.me.contributions.filter((c) => c.held && !contribution(ctx.board.doc, c.collection, c.id))
  const pending = ctx.outbox.pending()
  const byActivity = room.activities.map((a) => ({
    a,
    saved: saved.filter((c) => c.activity === a.id),
    pending: pending.filter((item) => item.body.activity === a.id && item.collection),
  })).filter((g) => g.saved.length || g.pending.length)

  return h('div', null,
    h('h1', { id: 'activity-heading', tabindex: '-1' }, 'My contributions'),
    h('p', { class: 'lead' }, 'Everything you added today. Only you see this list: the board never shows who wrote what.'),
    ctx.notice && ctx.notice.place !== 'erase' ? h('p', { id: 'notice', tabindex: '-1', class: `notice ${ctx.notice.kind}` }, ctx.notice.text) : null,
    !byActivity.length && !waiting.length ? h('p', null, 'Nothing yet. What you add will appear here.') : null,
    waitingView(ctx, waiting),
    byActivity.map(({ a, saved, pending }) => h('section', { key: a.id, class: 'my-list', 'aria-labelledby': `mine-${a.id}` },
      h('h2', { id: `mine-${a.id}` }, a.title, h('span', { class: 'hint' }, ` · ${kindWords(a)}${a.state === 'locked' ? ' · closed' : ''}`)),
      h('ul', null,
        pending.map((item) => h('li', { key: item.key, class: 'my-item pending' },
          h('p', null, WHAT[item.collection] + ' – ', item.label),
          h('p', { class: 'hint' }, 'Not sent yet: it will be sent by itself when there is a connection.'))),
        saved.map((c) => h('li', { key: c.id, class: 'my-item' },
          h('p', { class: 'hint' }, WHAT[c.collection]),
          h('p', { dir: 'auto' }, text(ctx, c, a)),
          hiddenHint(c),
          a.state === 'locked' ? null : h('div', { class: 'actions' },
            c.collection === COLLECTION.CARDS ? h('button', { type: 'button', class: 'button small secondary', onclick: () => {
              const d = ctx.draft(a.id)
              Object.assign(d, { editing: c.id, touchpoint: c.touchpoint, emotion: c.word ? '__own' : c.emotion, word: c.word || '', note: c.note || '' })
              ctx.saveDrafts()
              ctx.screen = 'activity'
              ctx.viewing = a.id
              focusLater('#note')
            } }, 'Change') : null,
            withdrawButton(ctx, c, WHAT[c.collection].toLowerCase()))))))),
    eraseView(ctx))
}

/** What waits for the facilitator before it is shown (or was not shown), with a way to take it back. */
function waitingView(ctx, waiting) {
  if (!waiting.length) return null
  return h('section', { class: 'my-list', 'aria-labelledby': 'mine-waiting' },
    h('h2', { id: 'mine-waiting' }, 'Waiting for the facilitator'),
    h('p', { class: 'hint' }, 'The facilitator looks at these before they are shown on the screen: some activities ask for it, and anything that seems to name someone or give a phone number, email or NHS number always waits.'),
    h('ul', null, waiting.map((c) => h('li', { key: c.id, class: 'my-item' },
      h('p', { class: 'hint' }, WHAT[c.collection]),
      ctx.heldWords[c.id] ? h('p', { dir: 'auto' }, `“${ctx.heldWords[c.id]}”`) : null,
      h('div', { class: 'actions' }, withdrawButton(ctx, c, WHAT[c.collection].toLowerCase()))))))
}

/** Erasing everything this person gave: one button, then a confirmation in words, then the answer in place. */
function eraseView(ctx) {
  const erase = () => {
    if (ctx.repeated('erase')) return
    ctx.confirmingErase = false
    ctx.send({ kind: 'erase_me' }, 'erasing everything you gave', { place: 'erase' })
    focusLater('#notice')
  }
  return h('section', { class: 'erase', 'aria-labelledby': 'erase-h' },
    h('h2', { id: 'erase-h' }, 'Erase everything you gave'),
    ctx.confirmingErase
      ? h('div', { class: 'erase-confirm', role: 'group', 'aria-labelledby': 'erase-confirm' },
        h('p', { id: 'erase-confirm', tabindex: '-1' }, 'Erase every card, vote, note, pledge and word you gave today? They leave the board and the record for good. This cannot be undone.'),
        h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'button danger', onclick: erase }, 'Yes, erase everything'),
          h('button', { type: 'button', class: 'button secondary', onclick: () => { ctx.confirmingErase = false; focusLater('#erase-start') } }, 'No, keep them')))
      : h('p', null, h('button', { type: 'button', id: 'erase-start', class: 'button danger', onclick: () => { ctx.confirmingErase = true; ctx.notice = null; focusLater('#erase-confirm') } }, 'Erase everything I gave')),
    ctx.noticeAt('erase'))
}
