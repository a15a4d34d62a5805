// The participant's phone (and, with `remote`, the remote attendee's screen):
// join anonymously, say who you are if you like, follow the activity the
// facilitator has opened, and contribute through the outbox.
import { h, mount, focusLater, plural } from '../dom.js'
import { call, roomApi, store, clockSkew } from '../api.js'
import { connectBoard } from '../sync.js'
import { createOutbox } from '../intents.js'
import { readRoom, activity as findActivity, timeLeft, clock, spokenTime, kindWords, COLLECTION, KIND } from '../board.js'
import { announce, alertNow } from '../a11y.js'
import { profileView, profileSummary } from './profile.js'
import { emotionView } from './emotion.js'
import { voteView } from './vote.js'
import { pathView, ideasView, pledgeView, monthsLater } from './forms.js'
import { mineView } from './mine.js'
import { feedbackView } from './feedback.js'
import { boardView } from '../projector/board.js'
import { watchBoard } from '../projector/announce.js'

export async function startPhone(root, code, { remote }) {
  document.title = remote ? 'Join online – Touchpoint' : 'Join – Touchpoint'
  const ctx = {
    code,
    remote,
    token: store.get(`tp:token:${code}`),
    info: null,
    board: null,
    room: null,
    me: { profile: {}, contributions: [], dots: {}, scores: {} },
    outbox: null,
    drafts: store.get(`tp:drafts:${code}`, {}),
    // The words of notes held for the facilitator: not on the board, so the phone keeps them to show them back.
    heldWords: store.get(`tp:held:${code}`, {}),
    // 'activity' follows the room; 'profile' and 'mine' are the person's own pages.
    screen: store.get(`tp:profiled:${code}`) ? 'activity' : 'profile',
    viewing: null,
    notice: null,
    fatal: null,
  }
  let app = null
  const schedule = () => app && app.schedule()
  ctx.schedule = schedule
  // Back after a reload in the middle of a card: to that card, not to wherever the room went.
  const was = store.get(`tp:viewing:${code}`)
  if (was && hasDraft(ctx.drafts[was])) ctx.viewing = was

  ctx.draft = (id) => ctx.drafts[id] || (ctx.drafts[id] = {})
  // Written at once on every keystroke (a few hundred bytes): a reload or a dying
  // battery a moment later must not lose what was typed.
  ctx.saveDrafts = () => store.set(`tp:drafts:${code}`, ctx.drafts)
  /**
   * The answer to an action: saved, waiting, or refused (with the server's reason),
   * shown at `place`, next to the control that was used (noticeAt), and announced.
   */
  ctx.say = (text, kind = 'info', place = null) => {
    ctx.notice = { text, kind, at: Date.now(), place }
    if (kind === 'error') alertNow(text)
    else announce(text)
    schedule()
  }
  const sentAt = {}
  ctx.send = (body, label, extra = {}) => {
    if (extra.place) {
      sentAt[extra.place] = Date.now()
      // Shown at once where the answer will come, so that focus has a place to go and stay.
      ctx.notice = { text: `Sending ${label}…`, kind: 'wait', at: Date.now(), place: extra.place }
    }
    return ctx.outbox.send(body, label, extra)
  }
  /** A second tap of a button that has just sent: the form is empty now, and that is no error. */
  ctx.repeated = (place) => Date.now() - (sentAt[place] || 0) < 2000
  /** The notice, if it belongs at `place`; a notice no view placed is shown at the top of the screen. */
  ctx.noticeAt = (place) => {
    if (!ctx.notice || ctx.notice.place !== place) return null
    ctx.noticePlaced = true
    return h('p', { id: 'notice', tabindex: '-1', class: `notice ${ctx.notice.kind}` }, ctx.notice.text)
  }

  app = mount(root, () => view(ctx))
  // The offline shell (sw.js): a reload on failing Wi-Fi still opens this page.
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch(() => {})

  try {
    ctx.info = await call('GET', roomApi(code))
  } catch (error) {
    ctx.fatal = error.status === 404 || error.status === 400
      ? 'There is no room with this code. Check the code on the big screen and try again.'
      : null
    if (!ctx.fatal) ctx.info = { title: '' }
  }
  if (ctx.fatal) return schedule()
  await ensureToken(ctx)
  if (ctx.fatal) return schedule()
  start(ctx)
}

async function ensureToken(ctx) {
  for (let attempt = 0; !ctx.token; attempt++) {
    try {
      const profile = ctx.remote ? { remote: true } : {}
      const joined = await call('POST', `${roomApi(ctx.code)}/participants`, { body: { profile } })
      ctx.token = joined.token
      store.set(`tp:token:${ctx.code}`, ctx.token)
    } catch (error) {
      if (!error.retry) {
        ctx.fatal = error.message
        return
      }
      ctx.notice = { text: 'Joining the room… ' + error.message, kind: 'wait' }
      ctx.schedule()
      await new Promise((resolve) => setTimeout(resolve, Math.min(20000, 1000 * 2 ** attempt) * (0.5 + Math.random() / 2)))
    }
  }
  ctx.notice = null
}

function start(ctx) {
  const { code } = ctx
  let lastCurrent
  let watcher = null
  ctx.board = connectBoard(code, ctx.token, () => {
    ctx.room = readRoom(ctx.board.doc)
    const current = ctx.room.current
    if (ctx.board.synced && current !== lastCurrent) {
      if (lastCurrent !== undefined) followCurrent(ctx, current)
      lastCurrent = current
    }
    if (ctx.remote && ctx.board.synced) {
      watcher = watcher || watchBoard(ctx.board.doc)
      watcher.check()
    }
    ctx.schedule()
  })
  ctx.outbox = createOutbox(code, ctx.token, (event) => onOutbox(ctx, event))
  refreshMe(ctx)
  // The timer on screen counts down by itself.
  setInterval(() => ctx.room && ctx.room.timer && ctx.schedule(), 1000)
}

/** The facilitator moved everyone on: follow, unless that would take away a half-written card. */
function followCurrent(ctx, current) {
  const next = current && findActivity(ctx.room, current)
  const busy = ctx.screen === 'activity' && ctx.viewing && hasDraft(ctx.drafts[ctx.viewing])
  if (busy) {
    ctx.say(`The facilitator has moved on to “${next ? next.title : 'the welcome screen'}”. Your unsent text is kept; go there when you are ready.`)
    return
  }
  ctx.viewing = null
  ctx.notice = null
  if (ctx.screen === 'activity') {
    // The remote screen's board watcher says this already, in more words.
    if (!ctx.remote) announce(next ? `Now: ${next.title}.` : 'Back to the welcome screen.')
    focusLater('#activity-heading')
  }
}

function hasDraft(draft) {
  if (!draft) return false
  return ['note', 'text', 'word', 'pledge', 'comment', 'touchstone', 'worked', 'change'].some((k) => typeof draft[k] === 'string' && draft[k].trim())
}

async function refreshMe(ctx) {
  try {
    ctx.me = await call('GET', `${roomApi(ctx.code)}/me`, { token: ctx.token })
    // Words of held notes taken back or turned down are not kept.
    const held = new Set(ctx.me.contributions.filter((c) => c.held).map((c) => c.id))
    const kept = Object.fromEntries(Object.entries(ctx.heldWords).filter(([id]) => held.has(id)))
    if (Object.keys(kept).length !== Object.keys(ctx.heldWords).length) store.set(`tp:held:${ctx.code}`, ctx.heldWords = kept)
    ctx.schedule()
  } catch (error) {
    if (error.code === 'invalid_token') {
      // The room was made anew under the same code: join again.
      store.set(`tp:token:${ctx.code}`, null)
      location.reload()
    } else if (error.code === 'participant_erased') {
      left(ctx)
    }
  }
}

/**
 * This phone's token was erased (by this person, perhaps from another tab): it opens nothing
 * any more, so the phone says so in words, once, and offers a fresh start rather than a board
 * that can never connect and forms whose every answer is a refusal.
 */
function left(ctx) {
  if (ctx.erased) return
  ctx.erased = true
  store.set(`tp:token:${ctx.code}`, null)
  if (ctx.board) ctx.board.close()
  announce('Everything you gave here has been erased. Join again to take part.')
  focusLater('#activity-heading')
  ctx.schedule()
}

function erasedView(ctx) {
  const again = () => location.reload()
  return h('main', { class: 'page phone', id: 'main' },
    ctx.info && ctx.info.title ? h('p', { class: 'kicker' }, ctx.info.title) : null,
    h('h1', { id: 'activity-heading', tabindex: '-1' }, 'You have left this room'),
    h('p', { class: 'notice info' }, 'Everything you gave here has been erased, from the board and from the record, and this phone is no longer in the room.'),
    h('p', null, 'To take part again, join afresh. Nothing from before comes back.'),
    h('p', null, h('button', { type: 'button', class: 'button primary', onclick: again }, 'Join again')))
}

function onOutbox(ctx, outboxEvent) {
  let event = outboxEvent
  const { item } = event
  const erased = event.type === 'refused' && event.error.code === 'participant_erased'
  // Another tab of this phone sent the same erasure first: it is done, and that is no error.
  if (erased && item.body.kind === 'erase_me') event = { type: 'saved', item, result: { erased: true } }
  else if (erased) return left(ctx)
  if (event.type === 'saved') {
    const id = event.result && event.result.id
    if (id && item.collection && !event.result.withdrawn) {
      // As `/me` will say it (a pledge says whether a contact is held, and when), until it is asked again.
      const mine = { id, collection: item.collection }
      if (item.collection === COLLECTION.PLEDGES) mine.contact = !!item.contact
      if (item.followUpMonths) mine.follow_up = { due: monthsLater(item.followUpMonths), status: 'to_do' }
      if (event.result.held) {
        mine.held = true
        ctx.heldWords[id] = item.body.text || item.body.note || item.body.word || ''
        store.set(`tp:held:${ctx.code}`, ctx.heldWords)
      }
      ctx.me.contributions = ctx.me.contributions.filter((c) => c.id !== id).concat([mine])
    }
    if (item.erases) ctx.me.contributions = ctx.me.contributions.map((c) => (c.id === item.erases ? { ...c, contact: false, follow_up: undefined } : c))
    if (event.result && event.result.withdrawn) {
      ctx.me.contributions = ctx.me.contributions.filter((c) => c.id !== id)
    }
    if (item.body.kind === 'set_dots') ctx.me.dots[item.body.activity] = event.result.dots
    if (item.body.kind === 'set_score') ctx.me.scores[item.body.activity] = event.result.scores
    if (item.body.kind === 'set_profile') ctx.me.profile = event.result.profile
    if (item.body.kind === 'erase_me') {
      ctx.me = { profile: {}, contributions: [], dots: {}, scores: {} }
      ctx.heldWords = {}
      store.set(`tp:held:${ctx.code}`, null)
      // The server refuses this token from now on (`participant_erased`): the next visit joins afresh.
      store.set(`tp:token:${ctx.code}`, null)
      ctx.say('Everything you gave has been erased, from the board and from the record.', 'saved', item.place)
      // The list above the answer has just gone, and may have taken focus and the answer's place
      // on the screen with it (a slow answer comes after focus went to "Sending…"): once drawn,
      // focus the answer again and bring it into view.
      focusLater('#notice')
      setTimeout(() => { const notice = document.getElementById('notice'); if (notice) notice.scrollIntoView({ block: 'nearest' }) }, 200)
    } else if (event.result && event.result.held) {
      ctx.say(`Sent: ${item.label}. It waits for the facilitator before it is shown on the screen.`, 'saved', item.place)
    } else if (event.result && event.result.late) {
      // Kept, not refused: it is in the record, hidden until the facilitator shows it (ROOM-DOCUMENT.md).
      ctx.say(`${capitalised(item.label)} arrived after the activity closed; the facilitator can still show it.`, 'saved', item.place)
    } else if (item.quiet) announce(`Saved: ${item.label}.`)
    else ctx.say(`Saved: ${item.label}.`, 'saved', item.place)
    // After an erasure `/me` has nothing to tell (the token opens nothing now): the answer stays in place.
    if (item.body.kind !== 'erase_me') refreshMeSoon(ctx)
  } else if (event.type === 'refused') {
    // Give back what they wrote, so that nothing typed is lost.
    if (item.restore) {
      Object.assign(ctx.draft(item.restore.activity), item.restore.fields)
      ctx.saveDrafts()
    }
    const lateBallot = event.error.code === 'activity_not_open' && ['set_dots', 'set_score'].includes(item.body.kind)
    ctx.say(lateBallot
      ? `Not counted: ${item.label}. Voting closed before it arrived.`
      : `Not saved: ${item.label}. ${event.error.message}`, 'error', item.place)
    refreshMeSoon(ctx)
  } else if (event.type === 'waiting') {
    ctx.notice = { text: `Not sent yet: ${item.label}. ${event.error.status === 0 ? 'Waiting for a connection.' : event.error.message} It will be sent by itself; you can carry on.`, kind: 'wait', place: item.place }
  }
  ctx.schedule()
}

const capitalised = (text) => text.charAt(0).toUpperCase() + text.slice(1)

let meTimer = null
function refreshMeSoon(ctx) {
  clearTimeout(meTimer)
  meTimer = setTimeout(() => refreshMe(ctx), 400)
}

function view(ctx) {
  ctx.noticePlaced = false
  if (ctx.erased) return erasedView(ctx)
  if (ctx.fatal) {
    return h('main', { class: 'page phone', id: 'main' },
      h('h1', { id: 'activity-heading' }, 'Touchpoint'),
      h('p', { class: 'notice error' }, ctx.fatal),
      h('p', null, h('a', { href: '/', class: 'button' }, 'Type a room code')))
  }
  const room = ctx.room
  const phone = h('div', { class: 'phone-column' },
    statusBar(ctx),
    h('main', { id: 'main', class: 'page phone', tabindex: '-1' },
      !room ? h('div', null, h('h1', { id: 'activity-heading' }, ctx.info && ctx.info.title ? ctx.info.title : 'Joining the room…'),
        h('p', { class: 'notice wait' }, ctx.notice ? ctx.notice.text : 'Connecting to the room…'))
        : ctx.screen === 'profile' ? profileView(ctx)
          : ctx.screen === 'mine' ? mineView(ctx)
            : activityScreen(ctx)),
    nav(ctx))
  if (!ctx.remote) return phone
  // The remote attendee: the board the room sees, and the controls, on one screen.
  return h('div', { class: 'remote' },
    h('a', { class: 'skip', href: '#main' }, 'Skip to your controls'),
    h('div', { class: 'remote-grid' },
      h('section', { class: 'remote-board', 'aria-labelledby': 'board-heading' },
        h('h1', { id: 'board-heading', class: 'remote-board-title' }, 'The board the room sees'),
        room ? boardView(ctx.board.doc, room, { compact: true, code: ctx.code, level: 2 }) : h('p', null, 'Connecting…')),
      h('div', { class: 'remote-controls' }, phone)))
}

function statusBar(ctx) {
  const room = ctx.room
  const pending = ctx.outbox ? ctx.outbox.pending().length : 0
  const status = !ctx.board ? 'connecting' : ctx.board.status
  const words = {
    online: 'Connected',
    connecting: 'Connecting…',
    offline: 'No connection: keep going, we will send when it is back',
  }
  const left = room && timeLeft(room, clockSkew)
  return h('header', { class: 'status-bar' },
    h('span', { class: 'room-name' }, (room && room.title) || (ctx.info && ctx.info.title) || 'Touchpoint'),
    h('span', { class: `pill ${status}` }, h('span', { 'aria-hidden': 'true' }, status === 'online' ? '● ' : '○ '), words[status] || words.connecting),
    pending ? h('span', { class: 'pill wait' }, `${plural(pending, 'change')} not sent yet`) : null,
    left != null ? h('span', { class: 'pill clock', role: 'timer', 'aria-label': left ? `Time left: ${spokenTime(left)}` : 'Time is up. Finish what you are writing: nothing is lost.' },
      h('span', { 'aria-hidden': 'true' }, left ? `⏱ ${clock(left)}` : '⏱ Time is up')) : null)
}

function nav(ctx) {
  const item = (screen, label) => h('button', {
    type: 'button',
    class: 'nav-button',
    'aria-current': ctx.screen === screen ? 'page' : null,
    onclick: () => {
      ctx.screen = screen
      ctx.notice = null
      if (screen === 'activity') ctx.viewing = null
      focusLater('#activity-heading')
    },
  }, label)
  if (!ctx.room) return null
  return h('nav', { class: 'phone-nav', 'aria-label': 'Your pages' },
    item('activity', 'Now'),
    item('mine', 'My contributions'),
    item('profile', 'About you'),
    h('p', { class: 'nav-after' }, h('a', { href: updatesPath(ctx.code) }, 'What happens next: the page to keep')))
}

/** The room's public page ("You said, we did"), which people keep to see what came of the event. */
const updatesPath = (code) => `/updates/${code}`

/**
 * The event is ending when its last activity has closed or a pledge activity is open: the moment
 * to offer the page people can come back to, with its address written out to copy or note down.
 */
function endingView(ctx) {
  const activities = ctx.room.activities
  const last = activities[activities.length - 1]
  const ending = (last && last.state === 'locked') || activities.some((a) => a.kind === KIND.PLEDGE && a.state === 'open')
  if (!ending) return null
  const address = `${location.origin}${updatesPath(ctx.code)}`
  return h('section', { class: 'keep-page', 'aria-labelledby': 'keep-h' },
    h('h2', { id: 'keep-h' }, 'Save this page to see what happens next'),
    h('p', null, 'The team will write there what they do with what was said today, over the coming months.'),
    h('p', null, h('a', { class: 'button primary', href: updatesPath(ctx.code) }, 'Open the page to keep')),
    h('p', { class: 'hint' }, 'Bookmark it, or note its address: ', h('span', { class: 'address', dir: 'ltr' }, address)))
}

function activityScreen(ctx) {
  const room = ctx.room
  const id = ctx.viewing || room.current
  const a = id && findActivity(room, id)
  // Said at the top only when no form on this screen holds its place.
  const topNotice = () => (ctx.notice && !ctx.noticePlaced ? h('p', { id: 'notice', tabindex: '-1', class: `notice ${ctx.notice.kind}` }, ctx.notice.text) : null)
  const backToCurrent = ctx.viewing && ctx.viewing !== room.current
    ? h('p', null, h('button', { type: 'button', class: 'link-button', onclick: () => { ctx.viewing = null; focusLater('#activity-heading') } },
      room.current ? `Go to what the room is doing now: ${(findActivity(room, room.current) || {}).title || ''}` : 'Go to the welcome screen'))
    : null
  if (!a) {
    return h('div', null,
      h('h1', { id: 'activity-heading', tabindex: '-1' }, `Welcome to ${room.title}`),
      h('p', { class: 'lead' }, 'You are in. The facilitator will start the first activity soon, and this page will change by itself.'),
      h('p', null, 'Nobody will ask your name. What you add is anonymous.'),
      profileSummary(ctx),
      topNotice(),
      endingView(ctx))
  }
  // Remember which activity a draft belongs to, so a move by the facilitator does not take it away.
  ctx.viewing = a.id
  const busy = hasDraft(ctx.drafts[a.id])
  if (busy !== !!ctx.rememberedViewing) {
    ctx.rememberedViewing = busy
    store.set(`tp:viewing:${ctx.code}`, busy ? a.id : null)
  }
  const head = [
    h('p', { class: 'kicker' }, kindWords(a)),
    h('h1', { id: 'activity-heading', tabindex: '-1' }, a.title),
    a.prompt ? h('p', { class: 'lead' }, a.prompt) : null,
  ]
  let body
  const locked = a.state === 'locked'
  if (a.state === 'pending') {
    body = h('p', { class: 'notice info' }, 'This activity has not started yet. This page will change by itself when it opens.')
  } else {
    body = [
      a.kind === KIND.EMOTION_MAP ? emotionView(ctx, a, locked)
        : a.kind === KIND.VOTE ? voteView(ctx, a, locked)
          : a.kind === KIND.PATH ? pathView(ctx, a, locked)
            : a.kind === KIND.PLEDGE ? pledgeView(ctx, a, locked)
              : a.kind === KIND.FEEDBACK ? feedbackView(ctx, a, locked)
                : ideasView(ctx, a, locked),
    ]
  }
  // A closed activity says so first, above anything else.
  const closed = locked ? h('p', { class: 'notice closed' }, 'This activity is closed now. Thank you for taking part. You can see what you added below.') : null
  return h('div', null, closed, backToCurrent, head, topNotice(), body, endingView(ctx))
}
