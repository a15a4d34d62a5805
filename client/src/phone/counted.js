// Text with a limit, on the phone. Nothing people write is ever cut without
// their knowing: the fields carry no `maxlength` (which would silently drop
// the end of a paste), the count shows as they type and turns into "N
// characters too many" past the limit, and sending is refused before the
// text leaves the phone, with focus on the field to shorten.
import { h, focusLater } from '../dom.js'

/** The limits the server holds (server/core/src/intent.rs), in characters. */
export const LIMITS = { note: 280, word: 30, text: 500, name: 80 }

const length = (value) => [...(value || '')].length

/** "12 of 280 characters", or "20 characters too many" once past `max`. */
export function countView(id, value, max) {
  const n = length(value)
  const over = n - max
  return h('p', { class: over > 0 ? 'count field-error' : 'hint count', id: `${id}-count` },
    over > 0 ? `${over} character${over === 1 ? '' : 's'} too many (at most ${max})` : `${n} of ${max} characters`)
}

/** The attributes every counted field shares: described by its count, invalid past the limit. */
export function countedProps(id, value, max, hintId = null) {
  return {
    id,
    value: value || '',
    'aria-describedby': [hintId, `${id}-count`].filter(Boolean).join(' '),
    'aria-invalid': length(value) > max ? 'true' : null,
  }
}

/**
 * Before sending: the first of `fields` ([id, what, value, max]) that is too
 * long is said next to the form (`place`) and focused; returns whether all fit.
 */
export function fitsLimits(ctx, place, fields) {
  for (const [id, what, value, max] of fields) {
    const over = length(value) - max
    if (over > 0) {
      ctx.say(`Not sent: ${what} is too long by ${over} character${over === 1 ? '' : 's'}. Please shorten it to ${max} characters or fewer.`, 'error', place)
      focusLater(`#${id}`)
      return false
    }
  }
  return true
}
