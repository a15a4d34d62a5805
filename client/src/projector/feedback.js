// Feedback on the event on the projector: only how many have answered. The
// answers are on the board for the facilitator's console, but one person's
// rating or words are never put on the wall.
import { h, plural } from '../dom.js'
import { contributions, COLLECTION } from '../board.js'

export function feedbackBoard(doc, a) {
  const n = contributions(doc, COLLECTION.FEEDBACK, a.id).length
  return h('div', { class: 'feedback-board' },
    h('p', { class: 'lead' }, `${plural(n, 'person has', 'people have')} given feedback so far.`),
    h('p', null, 'Your answers go to the organisers only. Thank you for telling us how it went.'))
}
