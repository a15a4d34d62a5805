// The facilitator's console: run the event from a laptop. Move the room from
// one activity to the next, open, close and reveal, keep time, hide a card,
// change the journey or the options live, type in paper cards quickly, take
// snapshots and download the data; afterwards, tell participants what came of it. Every action is an intent sent with the
// facilitator key, through the same outbox as the phones (not kept across
// reloads: a facilitator's click is only worth repeating while it is fresh).
import { h, mount, focusLater } from '../dom.js'
import { call, roomApi, tabStore, clockSkew, download as downloadFile } from '../api.js'
import { connectBoard } from '../sync.js'
import { createOutbox } from '../intents.js'
import { readRoom, activity as findActivity, timeLeft, clock, spokenTime, KIND_WORDS, boardFromJson, KIND } from '../board.js'
import { announce, alertNow } from '../a11y.js'
import { participationView, joinAddress, formatCode, activityBoard } from '../projector/board.js'
import { activityPanel } from './activity.js'
import { moderationView, moderationMayHaveChanged, waitingCount } from './moderation.js'
import { lateView } from './late.js'
import { followUpsView, loadFollowUps } from './follow-ups.js'
import { quarantinedPage } from './quarantine.js'
import { boardMayHaveGrown, boardSizePanel, boardSizeWarning } from './boardsize.js'
import { helperPanel, loadHelperLink } from './helpers.js'
import { updatesView } from './updates.js'

export function startConsole(root, code, key) {
  document.title = 'Facilitator console – Touchpoint'
  const saved = tabStore.get(`tp:key:${code}`)
  if (!key && saved) key = saved
  const ctx = {
    code,
    key,
    keyDraft: '',
    keyError: '',
    board: null,
    room: null,
    selected: null,
    tab: 'run',
    notice: null,
    snapshots: null,
    // The projector's address carries a read-only key, never the facilitator's.
    projectorUrl: null,
    snapshotName: '',
    timerMinutes: '5',
    results: {},
    resultsSignature: null,
    resultsTimer: null,
    resultsAsked: 0,
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
  ctx.act = (body, label) => ctx.outbox.send(body, label)
  app = mount(root, () => view(ctx))
  if (key) begin(ctx)
}

async function begin(ctx) {
  try {
    // Checks the key (only a facilitator may list snapshots) before anything else.
    ctx.snapshots = (await call('GET', `${roomApi(ctx.code)}/snapshots`, { token: ctx.key })).snapshots
  } catch (error) {
    if (error.code === 'room_quarantined') {
      ctx.quarantined = true
      ctx.schedule()
      return
    }
    if (!error.retry) {
      ctx.keyError = error.status === 404 ? 'There is no room with this code.' : 'This key does not open this room. Check the facilitator link you were given.'
      ctx.key = ''
      tabStore.set(`tp:key:${ctx.code}`, null)
      ctx.schedule()
      return
    }
  }
  tabStore.set(`tp:key:${ctx.code}`, ctx.key)
  if (!location.hash.includes('key=')) history.replaceState(null, '', `#key=${encodeURIComponent(ctx.key)}`)
  loadProjectorUrl(ctx)
  loadHelperLink(ctx)
  ctx.outbox = createOutbox(ctx.code, ctx.key, (event) => onOutbox(ctx, event), { persist: false })
  ctx.board = connectBoard(ctx.code, ctx.key, () => {
    ctx.room = readRoom(ctx.board.doc)
    resultsMayHaveChanged(ctx)
    moderationMayHaveChanged(ctx)
    boardMayHaveGrown(ctx)
    ctx.schedule()
  })
  setInterval(() => {
    if (ctx.room && ctx.room.timer) ctx.schedule()
  }, 1000)
  ctx.schedule()
}

async function loadProjectorUrl(ctx) {
  try {
    const answer = await call('GET', `${roomApi(ctx.code)}/projector`, { token: ctx.key })
    ctx.projectorUrl = new URL(answer.projector_url).pathname + new URL(answer.projector_url).hash
  } catch (error) {
    if (error.retry) setTimeout(() => loadProjectorUrl(ctx), 2000)
  }
  ctx.schedule()
}

/** The vote whose results the console shows: the one selected, else the one on phones. */
function shownVote(ctx) {
  const a = ctx.room && findActivity(ctx.room, ctx.selected || ctx.room.current)
  return a && a.kind === KIND.VOTE && a.state !== 'pending' ? a : null
}

/**
 * A vote's results are not on the board until revealed, but the board counts
 * every change to its ballots and scores (`tally_version`, which says nothing
 * of who or what): the console asks for the results when that count, the
 * options or the vote shown change, instead of polling.
 */
function resultsMayHaveChanged(ctx) {
  const a = shownVote(ctx)
  const signature = a ? [a.id, a.state, String(a.tally_version || 0), (a.options || []).map((o) => o.id).join(',')].join('|') : null
  if (signature === ctx.resultsSignature) return
  ctx.resultsSignature = signature
  if (!a || ctx.resultsTimer) return
  // A room voting at once costs one request per quarter of a second, the last change included.
  ctx.resultsTimer = setTimeout(() => {
    ctx.resultsTimer = null
    refreshResults(ctx)
  }, 250)
}

async function refreshResults(ctx) {
  const a = shownVote(ctx)
  if (!a) return
  // Only the newest answer counts: an older request may come back last.
  const asked = ++ctx.resultsAsked
  try {
    const results = await call('GET', `${roomApi(ctx.code)}/activities/${a.id}/results`, { token: ctx.key })
    if (asked !== ctx.resultsAsked) return
    ctx.results[a.id] = results
    ctx.schedule()
  } catch (error) {
    if (error.retry && asked === ctx.resultsAsked) setTimeout(() => refreshResults(ctx), 3000)
  }
}

async function refreshSnapshots(ctx) {
  try {
    ctx.snapshots = (await call('GET', `${roomApi(ctx.code)}/snapshots`, { token: ctx.key })).snapshots
    ctx.schedule()
  } catch {
    // Shown as before.
  }
}

function onOutbox(ctx, event) {
  if (event.type === 'saved') {
    ctx.say(`Done: ${event.item.label}.`, 'saved')
    if (['lock_activity', 'take_snapshot'].includes(event.item.body.kind)) refreshSnapshots(ctx)
    if (event.item.onSaved) event.item.onSaved(event.result)
  } else if (event.type === 'refused') {
    ctx.say(`Could not ${event.item.label}: ${event.error.message}`, 'error')
  } else if (event.type === 'waiting') {
    ctx.notice = { text: `Waiting to ${event.item.label}: ${event.error.message}`, kind: 'wait' }
  }
  ctx.schedule()
}

function view(ctx) {
  if (!ctx.key) return keyForm(ctx)
  if (ctx.quarantined) return quarantinedPage(ctx.code)
  const room = ctx.room
  if (!room) {
    return h('main', { class: 'page console', id: 'main' }, h('h1', null, 'Facilitator console'), h('p', { class: 'notice wait' }, 'Connecting to the room…'))
  }
  const tab = (id, label, opened) => h('button', {
    type: 'button', class: 'tab', 'aria-pressed': ctx.tab === id ? 'true' : 'false',
    onclick: () => {
      if (opened && ctx.tab !== id) opened()
      ctx.tab = id
      focusLater(`#tab-${id}`)
    },
  }, label)
  return h('div', { class: 'console-wrap' },
    h('a', { class: 'skip', href: '#main' }, 'Skip to the controls'),
    h('header', { class: 'console-head' },
      h('div', null,
        h('p', { class: 'kicker' }, 'Facilitator console'),
        h('p', { class: 'console-title' }, room.title)),
      h('p', { class: 'console-code' }, 'Room code ', h('strong', null, formatCode(ctx.code)), h('br'), h('span', { class: 'hint' }, joinAddress(ctx.code))),
      h('div', { class: 'console-links' },
        // No "open a phone" here: every phone that joins is counted as a participant.
        ctx.projectorUrl
          ? h('a', { class: 'button primary', href: ctx.projectorUrl, target: 'touchpoint-projector', rel: 'noopener' }, 'Open the projector')
          : h('p', { class: 'hint' }, 'Preparing the projector link…')),
      h('span', { class: `pill ${ctx.board.status}` }, ctx.board.status === 'online' ? '● Connected' : '○ Reconnecting…')),
    h('main', { id: 'main', class: 'console', tabindex: '-1' },
      h('h1', { class: 'visually-hidden' }, `Facilitator console: ${room.title}`),
      ctx.notice ? h('p', { id: 'notice', class: `notice ${ctx.notice.kind}` }, ctx.notice.text) : null,
      boardSizeWarning(ctx),
      h('nav', { class: 'tabs', 'aria-label': 'Console sections' },
        tab('run', 'Run the event'), tab('moderate', waitingCount(ctx) ? `Moderate (${waitingCount(ctx)} waiting)` : 'Moderate'), tab('data', 'Snapshots and data'),
        tab('follow-ups', 'Follow-ups', () => loadFollowUps(ctx)), tab('after', 'After the event')),
      ctx.tab === 'run' ? runView(ctx) : ctx.tab === 'moderate' ? moderationView(ctx) : ctx.tab === 'follow-ups' ? followUpsView(ctx) : ctx.tab === 'after' ? updatesView(ctx) : dataView(ctx)))
}

function keyForm(ctx) {
  const submit = () => {
    const value = ctx.keyDraft.trim().replace(/^.*#key=/, '')
    if (!value) return
    ctx.key = value
    ctx.keyError = ''
    begin(ctx)
  }
  return h('main', { class: 'page', id: 'main' },
    h('h1', null, 'Facilitator console'),
    h('p', null, `Room ${formatCode(ctx.code)}. Paste the facilitator key, or the whole facilitator link, that came with the room.`),
    ctx.keyError ? h('p', { class: 'notice error' }, ctx.keyError) : null,
    h('form', { onsubmit: submit, 'aria-label': 'Facilitator key' },
      h('div', { class: 'field' },
        h('label', { for: 'key' }, 'Facilitator key or link'),
        h('input', { id: 'key', type: 'password', autocomplete: 'off', value: ctx.keyDraft, oninput: (e) => { ctx.keyDraft = e.target.value } })),
      h('button', { type: 'submit', class: 'button primary' }, 'Open the console')),
    h('p', null, h('a', { href: '/' }, 'Create a new room')))
}

function runView(ctx) {
  const room = ctx.room
  const selected = findActivity(room, ctx.selected) || findActivity(room, room.current) || room.activities[0]
  return h('div', { class: 'console-grid', id: 'tab-run', tabindex: '-1' },
    h('section', { class: 'panel activities', 'aria-labelledby': 'activities-h' },
      h('h2', { id: 'activities-h' }, 'Activities'),
      h('p', { class: 'hint' }, room.current ? `Phones show: ${(findActivity(room, room.current) || {}).title}` : 'Phones show the welcome screen.'),
      nextButton(ctx),
      h('ol', { class: 'activity-list' }, room.activities.map((a) => activityRow(ctx, a, selected))),
      h('button', { type: 'button', class: 'button secondary small', disabled: !room.current, onclick: () => ctx.act({ kind: 'set_current', activity: null }, 'show the welcome screen on phones') }, 'Show the welcome screen on phones'),
      timerView(ctx),
      h('h2', null, 'Who is here'),
      participationView(room),
      helperPanel(ctx)),
    selected ? activityPanel(ctx, selected) : null,
    lateView(ctx))
}

const STATE_WORDS = { pending: 'Not started', open: 'Open', locked: 'Closed' }

function activityRow(ctx, a, selected) {
  const room = ctx.room
  const current = room.current === a.id
  const act = (body, label) => ctx.act(body, label)
  return h('li', { key: a.id, class: `activity-row${selected && selected.id === a.id ? ' selected' : ''}` },
    h('div', { class: 'activity-name' },
      h('button', { type: 'button', class: 'link-button strong', 'aria-pressed': selected && selected.id === a.id ? 'true' : 'false', onclick: () => { ctx.selected = a.id; resultsMayHaveChanged(ctx) } },
        a.title),
      h('span', { class: 'hint' }, ` ${KIND_WORDS[a.kind]} · `),
      h('span', { class: `state ${a.state}` }, STATE_WORDS[a.state] || a.state),
      current ? h('span', { class: 'now-badge' }, ' ◉ On phones now') : null,
      a.kind === KIND.VOTE && a.revealed ? h('span', { class: 'hint' }, ' · results shown') : null,
      a.kind === KIND.EMOTION_MAP && a.hide_counts ? h('span', { class: 'hint' }, a.revealed ? ' · counts shown' : ' · counts hidden') : null),
    // The state buttons stay in place and are marked unavailable rather than swapped, so a
    // second press (or a double click) never lands on a different action, such as "Close"
    // taking the place of "Open and show" under the pointer or the focus.
    h('div', { class: 'row-actions' },
      stateButton(`open-${a.id}`, a.state === 'locked' ? 'Reopen' : 'Open and show', a.state !== 'open', 'primary', () => {
        act({ kind: 'open_activity', activity: a.id }, `open “${a.title}”`)
        if (!current) act({ kind: 'set_current', activity: a.id }, `show “${a.title}” on phones`)
        ctx.selected = a.id
      }),
      stateButton(`close-${a.id}`, 'Close', a.state === 'open', 'secondary', () => act({ kind: 'lock_activity', activity: a.id }, `close “${a.title}”`)),
      a.kind === KIND.EMOTION_MAP && a.hide_counts ? stateButton(`reveal-${a.id}`, a.revealed ? 'Hide counts' : 'Reveal counts', a.state !== 'pending', 'secondary', () => act({ kind: 'reveal_activity', activity: a.id, revealed: !a.revealed }, a.revealed ? `hide the counts of “${a.title}”` : `reveal the counts of “${a.title}”`)) : null,
      a.kind === KIND.VOTE ? stateButton(`reveal-${a.id}`, a.revealed ? 'Hide results' : 'Reveal results', a.state !== 'pending', 'secondary', () => act({ kind: 'reveal_activity', activity: a.id, revealed: !a.revealed }, a.revealed ? `hide the results of “${a.title}”` : `reveal the results of “${a.title}”`)) : null,
      // Last, so that its coming and going moves no other button.
      a.state === 'open' && !current ? h('button', { type: 'button', key: `show-${a.id}`, class: 'button small secondary', onclick: () => act({ kind: 'set_current', activity: a.id }, `show “${a.title}” on phones`) }, 'Show on phones') : null))
}

/** A button that keeps its place: when its action does not apply, it stays focusable and says so. */
function stateButton(key, label, available, kind, onclick) {
  return h('button', { type: 'button', key, class: `button small ${kind}`, 'aria-disabled': available ? null : 'true', onclick: available ? onclick : () => {} }, label)
}

function timerView(ctx) {
  const left = timeLeft(ctx.room, clockSkew)
  const start = (seconds) => ctx.act({ kind: 'start_timer', seconds }, `start a timer of ${spokenTime(seconds)}`)
  return h('section', { class: 'timer-panel', 'aria-labelledby': 'timer-h' },
    h('h2', { id: 'timer-h' }, 'Timer'),
    left != null ? h('p', { class: 'timer-now', role: 'timer', 'aria-label': `Time left: ${spokenTime(left)}` }, h('span', { 'aria-hidden': 'true' }, left ? `⏱ ${clock(left)} left` : 'Time is up')) : h('p', { class: 'hint' }, 'No timer running. Phones never lose what people are writing when time is up.'),
    h('div', { class: 'row-actions' },
      [1, 2, 5, 10].map((m) => h('button', { type: 'button', class: 'button small secondary', key: `t${m}`, onclick: () => start(m * 60) }, `${m} min`)),
      left != null ? h('button', { type: 'button', class: 'button small danger', onclick: () => ctx.act({ kind: 'stop_timer' }, 'stop the timer') }, 'Stop') : null),
    h('form', { class: 'inline-form', 'aria-label': 'Timer in minutes', onsubmit: () => {
      const minutes = parseFloat(ctx.timerMinutes)
      if (minutes > 0) start(Math.round(minutes * 60))
    } },
    h('label', { for: 'timer-minutes' }, 'Minutes'),
    h('input', { id: 'timer-minutes', type: 'text', inputmode: 'decimal', value: ctx.timerMinutes, oninput: (e) => { ctx.timerMinutes = e.target.value } }),
    h('button', { type: 'submit', class: 'button small secondary' }, 'Start')))
}

function dataView(ctx) {
  const download = async (path, name) => {
    try {
      await downloadFile(ctx.code, ctx.key, path, name)
      ctx.say(`Downloaded ${name}.`, 'saved')
    } catch (error) {
      ctx.say(`Could not download ${name}: ${error.message}`, 'error')
    }
  }
  const files = ['cards', 'dots', 'scores', 'ideas', 'path_notes', 'pledges', 'touchstones', 'participants']
  return h('div', { id: 'tab-data', tabindex: '-1' }, h('div', { class: 'console-grid' },
    h('section', { class: 'panel', 'aria-labelledby': 'snap-h' },
      h('h2', { id: 'snap-h' }, 'Snapshots'),
      h('p', { class: 'hint' }, 'A snapshot keeps the board exactly as it is now. One is taken each time an activity closes.'),
      h('form', { class: 'inline-form', 'aria-label': 'Take a snapshot', onsubmit: () => {
        const name = ctx.snapshotName.trim() || `Snapshot at ${new Date().toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })}`
        ctx.act({ kind: 'take_snapshot', name }, `take the snapshot “${name}”`)
        ctx.snapshotName = ''
      } },
      h('label', { for: 'snapshot-name' }, 'Name (optional)'),
      h('input', { id: 'snapshot-name', type: 'text', maxlength: 120, value: ctx.snapshotName, oninput: (e) => { ctx.snapshotName = e.target.value } }),
      h('button', { type: 'submit', class: 'button small primary' }, 'Take a snapshot')),
      ctx.snapshots && ctx.snapshots.length
        ? h('ul', { class: 'snapshot-list' }, ctx.snapshots.slice().reverse().map((s) => h('li', { key: s.name },
          h('strong', null, s.name), h('span', { class: 'hint' }, ` · ${new Date((s.taken_at || 0) * 1000).toLocaleString('en-GB')} `),
          h('button', { type: 'button', class: 'button small secondary', 'aria-label': `Look at the snapshot “${s.name}”`, onclick: () => openSnapshot(ctx, s.name) }, 'Look'))))
        : h('p', null, 'No snapshots yet.'),
      h('h3', null, 'Replay'),
      h('p', { class: 'hint' }, 'Step through everything that happened on the board, from the start, on the projector.'),
      ctx.projectorUrl
        ? h('a', { class: 'button small secondary', href: `${ctx.projectorUrl}&replay`, target: 'touchpoint-projector', rel: 'noopener' }, 'Replay the board on the projector')
        : null),
    h('section', { class: 'panel', 'aria-labelledby': 'export-h' },
      h('h2', { id: 'report-h' }, 'Insights report'),
      h('p', { class: 'hint' }, `What the room said, in charts and words, for the write-up: it prints to PDF. Groups of fewer than ${ctx.room.participation.min_count || 8} people are not shown apart.`),
      h('button', { type: 'button', class: 'button small primary', onclick: () => openReport(ctx) }, 'Open the insights report'),
      h('h2', { id: 'export-h' }, 'Download the data'),
      h('p', { class: 'hint' }, 'For the analysts: everything said, by group, never by person. Pledge contacts are not included.'),
      h('div', { class: 'row-actions' },
        h('button', { type: 'button', class: 'button small primary', onclick: () => download('export.json', `${ctx.code}.json`) }, 'Everything (JSON)'),
        files.map((f) => h('button', { type: 'button', key: f, class: 'button small secondary', onclick: () => download(`export/${f}.csv`, `${ctx.code}-${f}.csv`) }, `${f.replace('_', ' ')} (CSV)`)))),
    boardSizePanel(ctx)),
  snapshotView(ctx))
}

/**
 * The report needs the facilitator key, which a link cannot carry: the console asks for a link
 * that opens it for a minute only. The tab is opened at the click (a browser allows a new tab
 * only then) and sent to the report once the link is here.
 */
async function openReport(ctx) {
  const tab = window.open('', 'touchpoint-report')
  try {
    const link = await call('GET', `${roomApi(ctx.code)}/report-link`, { token: ctx.key })
    if (tab) tab.location.replace(link.url)
    else location.assign(link.url)
  } catch (error) {
    if (tab) tab.close()
    ctx.say(`Could not open the report: ${error.message}`, 'error')
  }
}

async function openSnapshot(ctx, name) {
  try {
    const data = await call('GET', `${roomApi(ctx.code)}/snapshots/${encodeURIComponent(name)}`, { token: ctx.key })
    const doc = boardFromJson(data.board)
    const room = readRoom(doc)
    // The activity the snapshot was about: the one that had just closed, else the one on phones.
    const locked = room.activities.filter((a) => a.state === 'locked').map((a) => a.id)
    const title = name.replace(/ \(locked( \d+)?\)$/, '')
    const pick = (room.activities.find((a) => a.title === title) || findActivity(room, room.current) || room.activities.find((a) => locked.includes(a.id)) || room.activities[0] || {}).id
    ctx.snapshot = { name, doc, room, activity: pick }
    focusLater('#snapshot-h')
  } catch (error) {
    ctx.say(`Could not open the snapshot: ${error.message}`, 'error')
  }
  ctx.schedule()
}

/** A named snapshot: the board exactly as it stood, one activity at a time. */
function snapshotView(ctx) {
  const snap = ctx.snapshot
  if (!snap) return null
  const a = findActivity(snap.room, snap.activity)
  return h('section', { class: 'panel snapshot-view', 'aria-labelledby': 'snapshot-h', key: `snap-${snap.name}` },
    h('h2', { id: 'snapshot-h', tabindex: '-1' }, `Snapshot: ${snap.name}`),
    h('div', { class: 'field' },
      h('label', { for: 'snapshot-activity' }, 'Activity'),
      h('select', { id: 'snapshot-activity', value: snap.activity, onchange: (e) => { snap.activity = e.target.value } },
        snap.room.activities.map((x) => h('option', { value: x.id, key: x.id, selected: x.id === snap.activity }, x.title)))),
    a ? activityBoard(snap.doc, snap.room, a, 3) : null,
    h('button', { type: 'button', class: 'button small secondary', onclick: () => { ctx.snapshot = null; focusLater('#snap-h') } }, 'Close the snapshot'))
}

/** The one button a facilitator in front of fifty people needs most: on to the next activity. */
function nextButton(ctx) {
  const list = ctx.room.activities
  const at = list.findIndex((a) => a.id === ctx.room.current)
  const next = list.slice(at + 1).find((a) => a.state !== 'locked')
  if (!next) return null
  return h('button', {
    type: 'button',
    class: 'button primary next-button',
    onclick: () => {
      if (next.state !== 'open') ctx.act({ kind: 'open_activity', activity: next.id }, `open “${next.title}”`)
      ctx.act({ kind: 'set_current', activity: next.id }, `show “${next.title}” on phones`)
      ctx.selected = next.id
    },
  }, at < 0 ? `Start: ${next.title}` : `Next: ${next.title}`)
}
