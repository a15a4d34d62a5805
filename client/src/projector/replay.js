// Replay on the projector: the board rebuilt from the room's update log
// (GET /api/rooms/{code}/history, which the viewer key may read), so the room
// can watch its board grow, one stored update at a time. The replayed board is
// a Y.Doc of its own, drawn by the projector's own views; the live sync goes
// on underneath, so leaving replay shows the live board at once.
//
// The history holds every version of every contribution, so what each step
// shows is screened against the live board as it is while the replay is
// watched: a contribution appears from the step it was made, but only if it is
// still on the live board and not hidden there, and always as it reads now.
// A card hidden, then edited, then shown again never shows its earlier text;
// a hidden or erased one never shows at all.
import * as Y from 'yjs'
import { fromBase64 } from 'lib0/buffer'
import { h } from '../dom.js'
import { call, roomApi } from '../api.js'
import { announceNow, alertNow } from '../a11y.js'
import { readRoom, COLLECTIONS } from '../board.js'
import { boardView } from './board.js'
import { stageSize } from './stage.js'

// A step back rebuilds the board from the nearest kept state at or before it,
// not from the start: scrubbing back through a long event stays smooth.
const CHECKPOINT_EVERY = 100

/**
 * One replay session: `schedule()` re-renders the page; `live` is the live
 * board, which screens every step. Positions count the updates applied, from
 * 1 (the room as it was created) to the last.
 */
export function createReplay(code, key, schedule, live) {
  const r = { status: 'loading', error: '', steps: [], position: 1, playing: false }
  let doc = null
  const checkpoints = new Map()
  let applied = 0
  let player = null
  let sayTimer = null
  let closed = false

  async function load() {
    stop()
    r.status = 'loading'
    schedule()
    try {
      const data = await call('GET', `${roomApi(code)}/history`, { token: key })
      // Left before the history came: nothing to show, nothing to say.
      if (closed) return
      r.steps = decodeSteps(data)
      doc = null
      checkpoints.clear()
      r.status = r.steps.length ? 'ready' : 'empty'
      if (r.steps.length) {
        seek(1)
        say(`Replay ready: ${where()}. Play, or step through the history.`)
      }
    } catch (error) {
      if (closed) return
      // The server's words for a refusal; a network failure or a busy server is worth another try.
      fail(error.retry ? 'The room’s history could not be fetched just now.' : error.message)
    }
    schedule()
  }

  function fail(message) {
    stop()
    r.status = 'error'
    r.error = message
    alertNow(message)
  }

  /** Brings the replayed board to `position`, from the nearest kept state at or before it. */
  function seek(position) {
    r.position = position
    try {
      if (!doc || applied > position) {
        let from = Math.floor(position / CHECKPOINT_EVERY) * CHECKPOINT_EVERY
        while (from > 0 && !checkpoints.has(from)) from -= CHECKPOINT_EVERY
        doc = new Y.Doc()
        if (from) Y.applyUpdate(doc, checkpoints.get(from))
        applied = from
      }
      while (applied < position) {
        Y.applyUpdate(doc, r.steps[applied].update)
        applied++
        if (applied % CHECKPOINT_EVERY === 0) checkpoints.set(applied, Y.encodeStateAsUpdate(doc))
      }
    } catch {
      // A stored update this client cannot apply: say so rather than show half a board.
      doc = null
      fail('The history of this room could not be replayed.')
    }
  }

  function where() {
    const step = r.steps[r.position - 1]
    return `Step ${r.position} of ${r.steps.length}, ${timeOfDay(step.at)}`
  }

  // One announcement once the steps stop coming: holding an arrow key on the
  // slider must not queue a sentence per step.
  function say(text) {
    clearTimeout(sayTimer)
    sayTimer = setTimeout(() => announceNow(text), 300)
  }

  function moveTo(position, { byPlayer = false } = {}) {
    if (r.status !== 'ready') return
    const last = r.steps.length
    if (!byPlayer) pause({ quiet: true })
    seek(Math.min(last, Math.max(1, Math.round(position) || 1)))
    if (r.status !== 'ready') return schedule()
    if (!byPlayer || r.position === last) say(r.position === last ? `End of the history: ${where()}.` : where())
    schedule()
  }

  function play() {
    if (r.playing || r.status !== 'ready') return
    if (r.position >= r.steps.length) seek(1)
    if (r.status !== 'ready') return schedule()
    r.playing = true
    // About a minute from start to end, whatever the length of the history,
    // at a pace the room can follow: 100 ms to 600 ms a step.
    const pace = Math.min(600, Math.max(100, 60000 / r.steps.length))
    player = setInterval(() => {
      moveTo(r.position + 1, { byPlayer: true })
      if (r.position >= r.steps.length) pause({ quiet: true })
    }, pace)
    say(`Playing from ${where()}.`)
    schedule()
  }

  function pause({ quiet = false } = {}) {
    if (!r.playing) return
    clearInterval(player)
    r.playing = false
    if (!quiet) say(`Paused at ${where()}.`)
    schedule()
  }

  function stop() {
    clearInterval(player)
    clearTimeout(sayTimer)
    r.playing = false
  }

  r.load = load
  r.board = () => doc && screened(doc, live)
  r.where = where
  r.moveTo = moveTo
  r.play = play
  r.pause = pause
  /** Leaving replay: the player stops and nothing more is announced. */
  r.close = () => {
    closed = true
    stop()
  }
  load()
  return r
}

/**
 * A copy of a replayed step with each contribution as the live board has it
 * now, and without those the live board hides or no longer has.
 */
function screened(doc, live) {
  const copy = new Y.Doc()
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc))
  copy.transact(() => {
    for (const collection of COLLECTIONS) {
      const step = copy.getMap(collection)
      const now = live.getMap(collection)
      for (const id of [...step.keys()]) {
        const value = now.get(id)
        const shown = value && typeof value === 'object' && !(typeof value.get === 'function' ? value.get('hidden') : value.hidden)
        if (shown) step.set(id, typeof value.toJSON === 'function' ? value.toJSON() : value)
        else step.delete(id)
      }
    }
  })
  return copy
}

/** The server's `{updates: [{seq, at, update}]}`, checked, with each update as bytes. */
function decodeSteps(data) {
  const updates = data && Array.isArray(data.updates) ? data.updates : null
  if (!updates) throw new Error('The history of this room could not be read.')
  return updates.map((step) => {
    if (!step || typeof step.update !== 'string' || typeof step.at !== 'number') throw new Error('The history of this room could not be read.')
    try {
      return { at: step.at, update: fromBase64(step.update) }
    } catch {
      throw new Error('The history of this room could not be read.')
    }
  })
}

function timeOfDay(at) {
  return new Date(at * 1000).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })
}

/** The replay controls and the replayed board; `leave()` goes back to the live board. */
export function replayView(r, code, leave) {
  const bar = (...content) => h('section', { class: 'replay-bar', id: 'replay-bar', tabindex: '-1', 'aria-label': 'Replay' },
    h('p', { class: 'replay-badge' }, h('span', { 'aria-hidden': 'true' }, '⟲ '), 'Replay: not live'),
    ...content,
    h('button', { type: 'button', id: 'replay-leave', class: 'button secondary small', onclick: leave }, 'Back to the live board'))
  if (r.status === 'loading') return [bar(h('p', { class: 'replay-where' }, 'Loading the room’s history…'))]
  if (r.status === 'empty') return [bar(h('p', { class: 'replay-where' }, 'This room has no history yet.'))]
  if (r.status === 'error') {
    return [bar(
      h('p', { class: 'replay-where notice error' }, r.error),
      h('button', { type: 'button', class: 'button primary small', onclick: () => r.load() }, 'Try again'))]
  }
  const doc = r.board()
  const last = r.steps.length
  const atStart = r.position <= 1
  const atEnd = r.position >= last
  // aria-disabled rather than disabled: a button that vanishes from the tab
  // order under the keyboard's focus would drop focus to the page.
  const control = (id, label, icon, inactive, action) => h('button', {
    type: 'button', id, class: 'button secondary small', 'aria-disabled': inactive ? 'true' : null,
    onclick: () => { if (!inactive) action() },
  }, h('span', { 'aria-hidden': 'true' }, `${icon} `), label)
  const step = r.steps[r.position - 1]
  return [
    bar(
      h('div', { class: 'replay-buttons' },
        control('replay-start', 'Start', '⏮', atStart, () => r.moveTo(1)),
        control('replay-back', 'Step back', '←', atStart, () => r.moveTo(r.position - 1)),
        r.playing
          ? control('replay-play', 'Pause', '⏸', false, () => r.pause())
          : control('replay-play', 'Play', '▶', false, () => r.play()),
        control('replay-forward', 'Step forward', '→', atEnd, () => r.moveTo(r.position + 1)),
        control('replay-end', 'End', '⏭', atEnd, () => r.moveTo(last))),
      h('div', { class: 'replay-scrub' },
        h('label', { for: 'replay-position' }, 'Position in the history'),
        h('input', {
          id: 'replay-position', type: 'range', min: '1', max: String(last), step: '1', value: String(r.position),
          'aria-valuetext': r.where(),
          oninput: (event) => r.moveTo(Number(event.target.value)),
        }),
        h('p', { class: 'replay-where', id: 'replay-where' }, r.where()))),
    // The replay bar takes about four units of the screen's height.
    boardView(doc, readRoom(doc), { code, level: 1, at: step.at, stage: { ...stageSize(), down: stageSize().down - 4 } }),
  ]
}
