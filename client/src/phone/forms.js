// The written contributions on a phone: PATH notes by section, ideas,
// pledges (a name only if chosen; a contact only with its own consent, and
// the month the person wants to hear from the organisers) and touchstone
// words. Each form keeps its draft until the outbox has it.
import { h, focusLater, longDate } from '../dom.js'
import { contribution, COLLECTION } from '../board.js'
import { hiddenHint, withdrawButton } from './emotion.js'
import { LIMITS, countView, countedProps, fitsLimits } from './counted.js'

const TEXT_MAX = LIMITS.text
/** When a pledger may ask to be contacted, in months; the server takes 1 to 12, and 3 unless asked. */
const FOLLOW_UP_MONTHS = [1, 3, 6]
const DEFAULT_FOLLOW_UP_MONTHS = 3

/** A labelled field with its count (counted.js): never cut, and said to be too long before sending. */
function textField(id, label, value, oninput, { hint, rows = 4, max = TEXT_MAX, input = false } = {}) {
  const props = { ...countedProps(id, value, max, hint ? `${id}-hint` : null), oninput: (e) => oninput(e.target.value) }
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null,
    input ? h('input', { ...props, type: 'text', autocomplete: 'off' }) : h('textarea', { ...props, rows }),
    countView(id, value, max))
}

/** My saved contributions of one collection in this activity, and those still on their way. */
export function mineIn(ctx, a, collection) {
  const out = []
  for (const c of ctx.me.contributions) {
    if (c.collection !== collection) continue
    const full = contribution(ctx.board.doc, collection, c.id)
    if (full && full.activity === a.id) out.push(full)
  }
  return out
}

function pendingIn(ctx, a, collection) {
  return ctx.outbox.pending().filter((item) => item.collection === collection && item.body.activity === a.id)
}

function list(ctx, title, saved, pending, render, locked) {
  if (!saved.length && !pending.length) return null
  const id = 'mine-' + title.replace(/\W+/g, '-').toLowerCase()
  return h('section', { class: 'my-list', 'aria-labelledby': id },
    h('h2', { id }, title),
    h('ul', null,
      pending.map((item) => h('li', { key: item.key, class: 'my-item pending' },
        h('p', { dir: 'auto' }, render(item.body)), h('p', { class: 'hint' }, 'Not sent yet: it will be sent by itself.'))),
      saved.map((c) => h('li', { key: c.id, class: 'my-item' },
        h('p', { dir: 'auto' }, render(c)),
        hiddenHint(c),
        locked ? null : h('div', { class: 'actions' }, withdrawButton(ctx, c, 'this'))))))
}

/** Sends one written contribution; its answer is said at `place`, next to the button. */
function sendText(ctx, a, place, kind, fields, label, collection, restoreFields) {
  ctx.send({ kind, activity: a.id, ...fields }, label, { collection, place, restore: { activity: a.id, fields: restoreFields } })
  focusLater('#notice')
}

/** An empty form: a reminder, unless it is empty because this very button has just sent it. */
function empty(ctx, place, text, focus) {
  if (ctx.repeated(place)) return
  ctx.say(text, 'error', place)
  focusLater(focus)
}

export function pathView(ctx, a, locked) {
  const d = ctx.draft(a.id)
  const sections = a.sections || []
  const section = sections.find((s) => s.id === d.section)
  const submit = () => {
    if (!(d.text || '').trim()) { empty(ctx, 'path', 'Please write your note first.', '#path-text'); return }
    if (!section) { ctx.say('Please choose a part of the PATH first.', 'error', 'path'); focusLater('#sections legend'); return }
    if (!fitsLimits(ctx, 'path', [['path-text', 'your note', d.text, TEXT_MAX]])) return
    sendText(ctx, a, 'path', 'add_path_note', { section: section.id, text: d.text.trim() }, `your note for “${section.label}”`, COLLECTION.PATH_NOTES, { section: d.section, text: d.text })
    d.text = ''
    ctx.saveDrafts()
  }
  const label = (note) => {
    const s = sections.find((x) => x.id === note.section)
    return [h('strong', null, (s ? s.label : note.section) + ': '), note.text]
  }
  return h('div', null,
    locked ? null : h('form', { onsubmit: submit, 'aria-label': 'Add a note to the PATH' },
      h('fieldset', { class: 'choices', id: 'sections' },
        h('legend', { tabindex: '-1' }, 'Which part of the PATH is your note for?'),
        sections.map((s, i) => h('label', { class: `choice${d.section === s.id ? ' is-checked' : ''}`, key: s.id },
          h('input', { type: 'radio', name: `section-${a.id}`, value: s.id, checked: d.section === s.id,
            onchange: () => { d.section = s.id; ctx.saveDrafts() } }),
          h('span', null, `${i + 1}. ${s.label}`, d.section === s.id && s.hint ? h('span', { class: 'hint' }, s.hint) : null)))),
      textField('path-text', section ? `Your note for “${section.label}”` : 'Your note', d.text, (v) => { d.text = v; ctx.saveDrafts() }),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button primary' }, 'Add my note')),
      ctx.noticeAt('path')),
    list(ctx, 'Your notes', mineIn(ctx, a, COLLECTION.PATH_NOTES), pendingIn(ctx, a, COLLECTION.PATH_NOTES), label, locked))
}

export function ideasView(ctx, a, locked) {
  const d = ctx.draft(a.id)
  const submit = () => {
    if (!(d.text || '').trim()) { empty(ctx, 'idea', 'Please write something first.', '#idea-text'); return }
    if (!fitsLimits(ctx, 'idea', [['idea-text', 'your idea', d.text, TEXT_MAX]])) return
    sendText(ctx, a, 'idea', 'add_idea', { text: d.text.trim() }, 'your idea', COLLECTION.IDEAS, { text: d.text })
    d.text = ''
    ctx.saveDrafts()
  }
  return h('div', null,
    locked ? null : h('form', { onsubmit: submit, 'aria-label': 'Add an idea' },
      textField('idea-text', 'Your words', d.text, (v) => { d.text = v; ctx.saveDrafts() }, { hint: 'Please do not write anyone’s name.' }),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button primary' }, 'Send')),
      ctx.noticeAt('idea')),
    list(ctx, 'What you wrote', mineIn(ctx, a, COLLECTION.IDEAS), pendingIn(ctx, a, COLLECTION.IDEAS), (c) => c.text, locked))
}

export function pledgeView(ctx, a, locked) {
  const d = ctx.draft(a.id)
  const set = (k) => (v) => { d[k] = v; ctx.saveDrafts() }
  const submit = () => {
    if (!(d.pledge || '').trim()) { empty(ctx, 'pledge', 'Please write your pledge first.', '#pledge-text'); return }
    const contact = d.wantsContact ? (d.contact || '').trim() : ''
    if (contact && !d.consent) { ctx.say('To leave a contact, please tick the box to agree that we keep it.', 'error', 'pledge'); focusLater('#pledge-consent'); return }
    const fit = [['pledge-text', 'your pledge', d.pledge, TEXT_MAX], ['pledge-name', 'your name', d.showName ? d.name : '', LIMITS.name],
      ['pledge-org', 'your organisation', d.organisation, LIMITS.name], ['pledge-contact', 'your contact', contact, LIMITS.name]]
    if (!fitsLimits(ctx, 'pledge', fit)) return
    const fields = { text: d.pledge.trim() }
    if (d.showName && (d.name || '').trim()) fields.name = d.name.trim()
    if ((d.organisation || '').trim()) fields.organisation = d.organisation.trim()
    const months = d.followUpMonths || DEFAULT_FOLLOW_UP_MONTHS
    if (contact) Object.assign(fields, { contact, contact_consent: true, follow_up_months: months })
    ctx.send({ kind: 'add_pledge', activity: a.id, ...fields }, 'your pledge', {
      collection: COLLECTION.PLEDGES,
      place: 'pledge',
      contact: !!contact,
      followUpMonths: contact ? months : null,
      restore: { activity: a.id, fields: { pledge: d.pledge, name: d.name, organisation: d.organisation, contact: d.contact, showName: d.showName, wantsContact: d.wantsContact, consent: d.consent, followUpMonths: d.followUpMonths } },
    })
    focusLater('#notice')
    Object.assign(d, { pledge: '', contact: '', consent: false, wantsContact: false, followUpMonths: null })
    ctx.saveDrafts()
  }
  const submitWord = () => {
    if (!(d.touchstone || '').trim()) { empty(ctx, 'touchstone', 'Please write a word first.', '#touchstone'); return }
    if (!fitsLimits(ctx, 'touchstone', [['touchstone', 'your word', d.touchstone, LIMITS.word]])) return
    sendText(ctx, a, 'touchstone', 'add_touchstone', { word: d.touchstone.trim() }, `your word “${d.touchstone.trim()}”`, COLLECTION.TOUCHSTONES, { touchstone: d.touchstone })
    d.touchstone = ''
    ctx.saveDrafts()
  }
  return h('div', null,
    locked ? null : h('form', { onsubmit: submit, 'aria-label': 'Make a pledge', class: 'pledge-form' },
      textField('pledge-text', 'My pledge', d.pledge, set('pledge'), { hint: 'One thing you will do, and when.' }),
      h('label', { class: 'check' },
        h('input', { type: 'checkbox', checked: !!d.showName, onchange: (e) => set('showName')(e.target.checked) }),
        h('span', null, 'Show my name with my pledge')),
      d.showName ? textField('pledge-name', 'My name, as it will be shown', d.name, set('name'), { input: true, max: LIMITS.name }) : null,
      textField('pledge-org', 'My organisation or team (optional)', d.organisation, set('organisation'), { input: true, max: LIMITS.name }),
      h('label', { class: 'check' },
        h('input', { type: 'checkbox', checked: !!d.wantsContact, onchange: (e) => set('wantsContact')(e.target.checked) }),
        h('span', null, 'I would like the organisers to ask me about my pledge later')),
      d.wantsContact ? h('div', { class: 'contact' },
        h('fieldset', { class: 'choices', id: 'pledge-when' },
          h('legend', null, 'When should they get in touch?'),
          FOLLOW_UP_MONTHS.map((months) => {
            const chosen = (d.followUpMonths || DEFAULT_FOLLOW_UP_MONTHS) === months
            return h('label', { class: `choice${chosen ? ' is-checked' : ''}`, key: months },
              h('input', { type: 'radio', name: `pledge-when-${a.id}`, value: String(months), checked: chosen,
                onchange: () => { set('followUpMonths')(months); ctx.schedule() } }),
              h('span', null, `In ${months} month${months === 1 ? '' : 's'}, around ${longDate(monthsLater(months))}`))
          })),
        textField('pledge-contact', 'Email or phone number', d.contact, set('contact'), { input: true, max: LIMITS.name, hint: 'Only the organisers see this. It is never shown on the board.' }),
        h('label', { class: 'check' },
          h('input', { id: 'pledge-consent', type: 'checkbox', checked: !!d.consent, onchange: (e) => set('consent')(e.target.checked) }),
          h('span', null, 'I agree that the organisers keep this contact to ask me about my pledge then. It is deleted once the follow-up is over, and I can withdraw it here at any time.'))) : null,
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button primary' }, 'Make my pledge')),
      ctx.noticeAt('pledge')),
    list(ctx, 'Your pledges', mineIn(ctx, a, COLLECTION.PLEDGES), pendingIn(ctx, a, COLLECTION.PLEDGES), (c) => [c.text, c.name ? ` (${c.name})` : '', followUpLine(ctx, c)], locked),
    a.touchstones ? h('section', { class: 'touchstones', 'aria-labelledby': 'ts-heading' },
      h('h2', { id: 'ts-heading' }, 'Words for the word cloud'),
      locked ? null : h('form', { onsubmit: submitWord, 'aria-label': 'Add a word to the word cloud' },
        textField('touchstone', a.touchstone_prompt || 'What matters most to you?', d.touchstone, set('touchstone'), { input: true, max: LIMITS.word }),
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button secondary' }, 'Add my word')),
        ctx.noticeAt('touchstone')),
      list(ctx, 'Your words', mineIn(ctx, a, COLLECTION.TOUCHSTONES), pendingIn(ctx, a, COLLECTION.TOUCHSTONES), (c) => c.word, locked)) : null)
}

/**
 * A pledge whose author asked to be contacted says when, and offers to withdraw the follow-up
 * (which deletes the contact; the pledge stays). The server says which pledges have one (`/me`):
 * the phone keeps no record of its own that could drift from it.
 */
export function followUpLine(ctx, c) {
  const mine = c.id && ctx.me.contributions.find((m) => m.id === c.id && m.contact)
  if (!mine) return null
  const when = mine.follow_up && mine.follow_up.due ? longDate(mine.follow_up.due) : null
  const status = mine.follow_up && mine.follow_up.status === 'contacted' ? ' The organisers have been in touch.' : ''
  return h('span', { class: 'follow-up' }, h('br'),
    h('span', { class: 'hint' }, when ? `Follow-up planned: the organisers will contact you around ${when}.${status}` : 'Follow-up planned: the organisers will contact you later.'),
    h('br'),
    h('button', {
      type: 'button',
      class: 'link-button',
      onclick: () => ctx.send({ kind: 'erase_contact', id: c.id }, 'withdrawing your follow-up and deleting your contact', { erases: c.id }),
    }, 'Withdraw my follow-up and delete my contact'))
}

/** The day `months` from today, as the server counts it (a day the month lacks becomes its last): `2027-03-03`. */
export function monthsLater(months, from = new Date()) {
  const month = from.getUTCMonth() + months
  const last = new Date(Date.UTC(from.getUTCFullYear(), month + 1, 0)).getUTCDate()
  return new Date(Date.UTC(from.getUTCFullYear(), month, Math.min(from.getUTCDate(), last))).toISOString().slice(0, 10)
}
