// The board's size against the room's ceiling. Once the board is full the
// server refuses new cards, notes and pledges, so the facilitator sees it
// coming here: a gauge among the data, and a warning on every tab from 80 %.
// The size is asked of the server (it measures the board as a joining phone
// receives it), at most every half minute while the board changes.
import { h } from '../dom.js'
import { call, roomApi } from '../api.js'

/** Below this much room left the server refuses contributions (as its `board_full`). */
const CONTRIBUTION_BYTES = 4096
const NEAR = 0.8
const EVERY_MS = 30000

/** Asks for the size again after a change to the board, at most every half minute. */
export function boardMayHaveGrown(ctx) {
  if (ctx.boardSizeTimer) return
  const wait = ctx.boardSizeAt ? Math.max(0, ctx.boardSizeAt + EVERY_MS - Date.now()) : 0
  ctx.boardSizeTimer = setTimeout(async () => {
    try {
      ctx.boardSize = await call('GET', `${roomApi(ctx.code)}/board-size`, { token: ctx.key })
    } catch {
      // The last size stays shown; the next change asks again.
    }
    ctx.boardSizeAt = Date.now()
    ctx.boardSizeTimer = null
    ctx.schedule()
  }, wait)
}

const megabytes = (bytes) => bytes < 1e6
  ? `${Math.max(1, Math.round(bytes / 1e3))} KB`
  : `${(bytes / 1e6).toLocaleString('en-GB', { maximumFractionDigits: 1 })} MB`

/** How full the board is, in words: `level` is 'ok', 'near' or 'full'. */
export function boardSizeWords({ bytes, limit }) {
  if (!limit) return { level: 'ok', text: `The board holds ${megabytes(bytes)}; this server sets no limit.` }
  const percent = Math.min(100, Math.floor((bytes / limit) * 100))
  const of = `${megabytes(bytes)} of its ${megabytes(limit)} limit (${percent} %)`
  const advice = 'Continue in a new room, or ask whoever runs Touchpoint to raise the limit.'
  if (bytes + CONTRIBUTION_BYTES > limit) {
    return { level: 'full', text: `The board is full: ${of}. Phones can no longer add cards, notes or pledges; votes and your controls still work. ${advice}` }
  }
  if (bytes >= limit * NEAR) {
    return { level: 'near', text: `The board is nearly full: ${of}. When it is full, phones cannot add more. ${advice}` }
  }
  return { level: 'ok', text: `The board holds ${of}.` }
}

/** The warning shown on every tab once the board is nearly full. */
export function boardSizeWarning(ctx) {
  if (!ctx.boardSize) return null
  const words = boardSizeWords(ctx.boardSize)
  return words.level === 'ok' ? null : h('p', { class: `notice ${words.level === 'full' ? 'error' : 'wait'}`, role: 'status' }, words.text)
}

/** The gauge among the data. */
export function boardSizePanel(ctx) {
  const size = ctx.boardSize
  return h('section', { class: 'panel', 'aria-labelledby': 'size-h' },
    h('h2', { id: 'size-h' }, 'Board size'),
    size
      ? [size.limit ? h('meter', { min: 0, max: size.limit, high: size.limit * NEAR, value: size.bytes, 'aria-labelledby': 'size-h', 'aria-describedby': 'size-words' }) : null,
          h('p', { id: 'size-words' }, boardSizeWords(size).text)]
      : h('p', { class: 'hint' }, 'Measuring the board…'))
}
