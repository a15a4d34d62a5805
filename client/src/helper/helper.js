// The table host's page: type in a stack of paper cards and sticky-dot
// ballots with the room's helper key, keyboard first, on a laptop or a phone.
// It shows which activity the entries go to, whether it is open and the
// room's timer, and a running list of what this key typed in (read back from
// the server after a reload) with a way to erase a wrong entry. The helper
// key enters paper entries and nothing more; the facilitator can replace it,
// and this page then says so and stops.
import { h, mount, focusLater } from '../dom.js'
import { call, roomApi, tabStore, clockSkew } from '../api.js'
import { connectBoard } from '../sync.js'
import { createOutbox } from '../intents.js'
import { readRoom, activity as findActivity, timeLeft, clock, spokenTime, kindWords } from '../board.js'
import { announce, alertNow } from '../a11y.js'
import { formatCode } from '../projector/board.js'
import { entryForms, describe, COLLECTION_OF } from './forms.js'

const STATE_WORDS = {
  pending: 'Not open yet: entries can be typed in once the facilitator opens it.',
  open: 'Open now.',
  locked: 'Closed on phones. Paper entries are still taken.',
}

export function startHelper(root, code, key) {
  document.title = 'Paper entry – Touchpoint'
  const saved = tabStore.get(`tp:helper:${code}`)
  if (!key && saved) key = saved
  const ctx = {
    code,
    key,
    keyDraft: '',
    keyError: '',
    board: null,
    room: null,
    chosen: null,
    notice: null,
    rotated: false,
    // Newest first: {key?, id?, activity, collection, text, status: sending|saved|held|refused|erasing}.
    entries: [],
    // Who the cards are from: kept from card to card, and from activity to activity, until changed.
    from: { perspective: '', role: '' },
    drafts: {},
  }
  let app = null
  ctx.schedule = () => app && app.schedule()
  ctx.say = (text, kind = 'info') => {
    ctx.notice = { text, kind }
    if (kind === 'error') alertNow(text)
    else announce(text)
    ctx.schedule()
  }
  ctx.save = (intent) => save(ctx, intent)
  app = mount(root, () => view(ctx))
  if (key) begin(ctx)
}

async function begin(ctx) {
  let answer
  try {
    // Checks the key first: only the helper key reads the helper's entries.
    answer = await call('GET', `${roomApi(ctx.code)}/helper/entries`, { token: ctx.key })
  } catch (error) {
    if (error.code === 'key_rotated') return replaced(ctx)
    if (!error.retry) {
      ctx.keyError = error.status === 404 ? 'There is no room with this code.' : 'This is not the helper link of this room. Check the link or QR code the facilitator gave you.'
      ctx.key = ''
      tabStore.set(`tp:helper:${ctx.code}`, null)
      ctx.schedule()
      return
    }
    setTimeout(() => begin(ctx), 3000)
    ctx.say('Cannot reach the room at the moment; trying again.', 'wait')
    return
  }
  tabStore.set(`tp:helper:${ctx.code}`, ctx.key)
  if (!location.hash.includes('key=')) history.replaceState(null, '', `#key=${encodeURIComponent(ctx.key)}`)
  // Kept across a reload, apart from a phone's outbox: a card typed in while the venue's
  // Wi-Fi is down is sent when it comes back, even if the page was reloaded meanwhile.
  ctx.outbox = createOutbox(ctx.code, ctx.key, (event) => onOutbox(ctx, event), { name: 'helper' })
  ctx.entries = ctx.outbox.pending().filter((item) => !item.erasing).reverse()
    .map((item) => ({ key: item.key, activity: item.body.activity, collection: COLLECTION_OF[item.body.kind], text: item.label, status: 'sending' }))
  ctx.board = connectBoard(ctx.code, ctx.key, () => {
    ctx.room = readRoom(ctx.board.doc)
    if (ctx.board.refusal === 'key_rotated') replaced(ctx)
    // The read-back entries wait for the board, whose labels they are shown with.
    if (ctx.restored && ctx.room.activities.length) {
      // Older than anything still waiting to be sent from before a reload.
      ctx.entries = ctx.entries.concat(ctx.restored.map((e) => ({ id: e.id, activity: e.activity, collection: e.collection, status: e.held ? 'held' : 'saved', text: describe(ctx.room, findActivity(ctx.room, e.activity), e.collection, e.entry) })).reverse())
      ctx.restored = null
    }
    ctx.schedule()
  })
  ctx.restored = answer.entries || []
  setInterval(() => {
    if (ctx.room && ctx.room.timer) ctx.schedule()
  }, 1000)
  ctx.schedule()
}

/** The facilitator replaced the helper key: nothing more goes through with it. */
function replaced(ctx) {
  if (ctx.rotated) return
  ctx.rotated = true
  if (ctx.board) ctx.board.close()
  tabStore.set(`tp:helper:${ctx.code}`, null)
  alertNow('This helper link was replaced by the facilitator. Ask them for the new one.')
  ctx.schedule()
}

function save(ctx, intent) {
  const a = findActivity(ctx.room, intent.activity)
  const collection = COLLECTION_OF[intent.kind]
  const text = describe(ctx.room, a, collection, { ...intent, ...intent.on_behalf_of })
  const item = ctx.outbox.send(intent, text)
  ctx.entries.unshift({ key: item.key, activity: intent.activity, collection, text, status: 'sending' })
}

function erase(ctx, entry) {
  entry.status = 'erasing'
  ctx.outbox.send({ kind: 'withdraw', id: entry.id }, entry.text, { erasing: entry.id })
  ctx.schedule()
}

function onOutbox(ctx, event) {
  const { item } = event
  if (event.type === 'refused' && event.error.code === 'key_rotated') return replaced(ctx)
  if (item && item.erasing) {
    const entry = ctx.entries.find((e) => e.id === item.erasing)
    if (event.type === 'saved') {
      ctx.entries = ctx.entries.filter((e) => e !== entry)
      ctx.say(`Erased: ${item.label}.`, 'saved')
    } else if (event.type === 'refused') {
      if (entry) entry.status = 'saved'
      ctx.say(`Could not erase it: ${event.error.message}`, 'error')
    }
    return ctx.schedule()
  }
  const entry = item && ctx.entries.find((e) => e.key === item.key)
  if (event.type === 'saved' && entry) {
    entry.id = event.result && event.result.id
    // Sent again after a reload that lost its answer: the room kept the first, already listed.
    if (ctx.entries.some((e) => e !== entry && e.id === entry.id)) ctx.entries = ctx.entries.filter((e) => e !== entry)
    entry.status = event.result && event.result.held ? 'held' : 'saved'
    announce(entry.status === 'held' ? `Saved, waiting for the facilitator's approval: ${entry.text}.` : `Saved: ${entry.text}.`)
    ctx.notice = null
  } else if (event.type === 'refused' && entry) {
    entry.status = 'refused'
    entry.reason = event.error.message
    ctx.say(`Not saved: ${entry.text}. ${event.error.message}`, 'error')
  } else if (event.type === 'waiting') {
    ctx.notice = { text: `Waiting to save: ${event.error.message}`, kind: 'wait' }
  }
  ctx.schedule()
}

function view(ctx) {
  if (ctx.rotated) {
    return h('main', { class: 'page helper', id: 'main' },
      h('h1', null, 'Paper entry'),
      h('p', { class: 'notice error' }, 'This helper link was replaced by the facilitator, so it no longer works. Everything you saved before is kept in the room.'),
      h('p', null, 'Ask the facilitator for the new link or QR code.'))
  }
  if (!ctx.key) return keyForm(ctx)
  const room = ctx.room
  if (!room || !ctx.board.synced && !room.activities.length) {
    return h('main', { class: 'page helper', id: 'main' }, h('h1', null, 'Paper entry'), h('p', { class: 'notice wait' }, 'Connecting to the room…'))
  }
  if (!ctx.chosen || !findActivity(room, ctx.chosen)) ctx.chosen = startingActivity(room)
  const a = findActivity(room, ctx.chosen)
  return h('div', { class: 'helper-wrap' },
    h('a', { class: 'skip', href: '#entry' }, 'Skip to the form'),
    h('header', { class: 'helper-head' },
      h('p', { class: 'kicker' }, 'Paper entry for table hosts'),
      h('p', { class: 'room-name' }, room.title, ' · ', h('span', { class: 'hint' }, `room ${formatCode(ctx.code)}`)),
      h('span', { class: `pill ${ctx.board.status}` }, ctx.board.status === 'online' ? '● Connected' : '○ Reconnecting…')),
    h('main', { id: 'main', class: 'page helper' },
      h('h1', null, a ? `Typing in: ${a.title}` : 'Paper entry'),
      ctx.notice ? h('p', { class: `notice ${ctx.notice.kind}` }, ctx.notice.text) : null,
      activityChooser(ctx, room, a),
      a ? activityState(ctx, room, a) : h('p', null, 'This room has no activities.'),
      h('div', { id: 'entry', tabindex: '-1' }, a && a.state !== 'pending' ? entryForms(ctx, a) : null),
      entryList(ctx, room)))
}

/** The activity on phones if it has opened; else the last one that did; else the first. */
function startingActivity(room) {
  const current = findActivity(room, room.current)
  if (current && current.state !== 'pending') return current.id
  const opened = room.activities.filter((a) => a.state !== 'pending')
  return (opened[opened.length - 1] || room.activities[0] || {}).id || null
}

function activityChooser(ctx, room, a) {
  const onPhones = findActivity(room, room.current)
  return h('div', { class: 'helper-chooser' },
    h('div', { class: 'field' },
      h('label', { for: 'helper-activity' }, 'Activity the cards are for'),
      h('select', { id: 'helper-activity', value: ctx.chosen || '', onchange: (e) => { ctx.chosen = e.target.value } },
        room.activities.map((x) => h('option', { value: x.id, key: x.id, selected: x.id === ctx.chosen }, `${x.title}${x.state === 'pending' ? ' (not open yet)' : x.state === 'locked' ? ' (closed)' : ''}`)))),
    onPhones && a && onPhones.id !== a.id && onPhones.state !== 'pending'
      ? h('button', { type: 'button', class: 'button small secondary', onclick: () => { ctx.chosen = onPhones.id; focusLater('#helper-activity') } }, `Switch to “${onPhones.title}”, on phones now`)
      : null)
}

function activityState(ctx, room, a) {
  const left = a.state === 'open' ? timeLeft(room, clockSkew) : null
  return h('section', { class: `helper-state ${a.state}`, 'aria-label': 'The activity' },
    h('p', { class: 'kicker' }, kindWords(a)),
    h('p', { class: 'helper-state-words' }, h('strong', null, STATE_WORDS[a.state] || a.state), room.current === a.id ? ' On phones now.' : ''),
    a.prompt ? h('p', { class: 'hint' }, a.prompt) : null,
    left != null
      ? h('p', { class: 'timer-now', role: 'timer', 'aria-label': `Time left on the room's timer: ${spokenTime(left)}` }, h('span', { 'aria-hidden': 'true' }, left ? `⏱ ${clock(left)} left on the room's timer` : 'The room\'s timer is up'))
      : a.state === 'open' ? h('p', { class: 'hint' }, 'No timer is running: it closes when the facilitator closes it.') : null)
}

const STATUS_WORDS = { sending: 'Saving…', saved: 'Saved', held: 'Waiting for the facilitator’s approval', refused: 'Not saved', erasing: 'Erasing…' }

function entryList(ctx, room) {
  const n = ctx.entries.filter((e) => e.status === 'saved' || e.status === 'held').length
  return h('section', { class: 'helper-entries', 'aria-labelledby': 'entries-h' },
    h('h2', { id: 'entries-h' }, `Typed in with this link (${n})`),
    ctx.entries.length
      ? h('ol', { class: 'my-list', reversed: true }, ctx.entries.map((e, i) => h('li', { key: e.key || e.id, class: `my-item ${e.status}` },
        h('span', { class: 'entry-text' }, e.text),
        h('span', { class: 'entry-status' }, ` ${STATUS_WORDS[e.status]}${e.reason ? `: ${e.reason}` : ''}`, (findActivity(room, e.activity) || {}).title && e.activity !== ctx.chosen ? ` (${findActivity(room, e.activity).title})` : ''),
        e.id && (e.status === 'saved' || e.status === 'held')
          ? h('button', { type: 'button', class: 'button small secondary', id: i === 0 ? 'erase-last' : null, 'aria-label': `Erase ${e.text}`, onclick: () => erase(ctx, e) }, 'Erase')
          : null)))
      : h('p', { class: 'hint' }, `Nothing yet. Each card you save shows here, newest first, with a button to erase it if it was typed in by mistake.`))
}

function keyForm(ctx) {
  const submit = () => {
    const value = ctx.keyDraft.trim().replace(/^.*#key=/, '')
    if (!value) return
    ctx.key = value
    ctx.keyError = ''
    begin(ctx)
  }
  return h('main', { class: 'page helper', id: 'main' },
    h('h1', null, 'Paper entry'),
    h('p', null, `Room ${formatCode(ctx.code)}. Paste the helper link the facilitator gave you, or scan its QR code with this device.`),
    ctx.keyError ? h('p', { class: 'notice error' }, ctx.keyError) : null,
    h('form', { onsubmit: submit, 'aria-label': 'Helper link' },
      h('div', { class: 'field' },
        h('label', { for: 'key' }, 'Helper link or key'),
        h('input', { id: 'key', type: 'password', autocomplete: 'off', value: ctx.keyDraft, oninput: (e) => { ctx.keyDraft = e.target.value } })),
      h('button', { type: 'submit', class: 'button primary' }, 'Start typing in')))
}
