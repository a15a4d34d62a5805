// Feedback on the event in the console: how many gave each rating (in
// numbers and words, never colour alone), the average, and what people said
// worked and should change. Only the facilitator sees the texts; the
// projector shows how many answered.
import { h, plural } from '../dom.js'
import { contributions, COLLECTION } from '../board.js'
import { RATINGS } from '../phone/feedback.js'

export function feedbackSummary(ctx, a) {
  const answers = contributions(ctx.board.doc, COLLECTION.FEEDBACK, a.id)
  const counts = RATINGS.map((_, i) => answers.filter((f) => f.rating === i + 1).length)
  const mean = answers.length ? answers.reduce((sum, f) => sum + f.rating, 0) / answers.length : null
  const texts = (title, key) => {
    const said = answers.filter((f) => f[key])
    return h('section', { 'aria-labelledby': `feedback-${key}-h` },
      h('h3', { id: `feedback-${key}-h` }, title),
      said.length ? h('ul', { class: 'feedback-texts' }, said.map((f) => h('li', { key: f.id }, f[key]))) : h('p', { class: 'hint' }, 'Nobody has said yet.'))
  }
  return h('div', { class: 'console-results feedback-summary' },
    h('p', { class: 'notice info' }, 'Only you see the answers. The projector shows how many people answered, nothing more.'),
    h('p', null, plural(answers.length, 'answer'), ' so far', mean == null ? '.' : `; the average rating is ${mean.toFixed(1)} out of 5.`),
    h('table', { class: 'feedback-ratings' },
      h('caption', null, 'How many gave each rating'),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Rating'), h('th', { scope: 'col' }, 'People'))),
      h('tbody', null, RATINGS.map((words, i) => h('tr', { key: words },
        h('th', { scope: 'row' }, `${i + 1}: ${words}`),
        h('td', null, String(counts[i])))))),
    texts('What worked', 'worked'),
    texts('What to change', 'change'))
}
