// Feedback on the event on a phone: a rating from 1 to 5 as radio buttons
// with words (never colour alone), and what worked and what to change, each
// with a count of the characters left as one types. One answer per person:
// sending again replaces it while the activity is open.
import { h, focusLater } from '../dom.js'
import { COLLECTION } from '../board.js'
import { mineIn } from './forms.js'
import { withdrawButton } from './emotion.js'

/** The most characters of each text, as the server's `MAX_FEEDBACK_CHARS`. */
const FEEDBACK_MAX = 280

/** The words of each rating, from 1 to 5; the report uses the same. */
export const RATINGS = ['Very poor', 'Poor', 'Fair', 'Good', 'Very good']

const left = (text) => `${(text || '').length} of ${FEEDBACK_MAX} characters`

function counted(id, label, value, oninput) {
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    h('textarea', {
      id,
      rows: 3,
      maxlength: FEEDBACK_MAX,
      value: value || '',
      'aria-describedby': `${id}-count`,
      oninput: (e) => {
        oninput(e.target.value)
        const count = document.getElementById(`${id}-count`)
        if (count) count.textContent = left(e.target.value)
      },
    }),
    h('p', { class: 'hint', id: `${id}-count` }, left(value)))
}

export function feedbackView(ctx, a, locked) {
  const d = ctx.draft(a.id)
  const saved = mineIn(ctx, a, COLLECTION.FEEDBACK)[0] || null
  const sending = ctx.outbox.pending().some((item) => item.collection === COLLECTION.FEEDBACK && item.body.activity === a.id)
  const set = (k) => (v) => { d[k] = v; ctx.saveDrafts() }
  const submit = () => {
    if (!d.rating) { ctx.say('Please choose a rating first.', 'error'); focusLater('#rating legend'); return }
    const fields = { rating: d.rating }
    if ((d.worked || '').trim()) fields.worked = d.worked.trim()
    if ((d.change || '').trim()) fields.change = d.change.trim()
    ctx.send({ kind: 'set_feedback', activity: a.id, ...fields }, 'your feedback', {
      collection: COLLECTION.FEEDBACK,
      restore: { activity: a.id, fields: { rating: d.rating, worked: d.worked, change: d.change } },
    })
    focusLater('#notice')
    Object.assign(d, { rating: null, worked: '', change: '' })
    ctx.saveDrafts()
  }
  return h('div', null,
    locked ? null : h('form', { onsubmit: submit, 'aria-label': 'Your feedback on the event', class: 'feedback-form' },
      h('fieldset', { class: 'choices', id: 'rating' },
        h('legend', { tabindex: '-1' }, 'How was the event for you?'),
        RATINGS.map((words, i) => {
          const rating = i + 1
          return h('label', { class: `choice${d.rating === rating ? ' is-checked' : ''}`, key: rating },
            h('input', { type: 'radio', name: `rating-${a.id}`, value: String(rating), checked: d.rating === rating,
              onchange: () => { set('rating')(rating); ctx.schedule() } }),
            h('span', null, `${rating}: ${words}`))
        })),
      counted('feedback-worked', 'What worked well? (optional)', d.worked, set('worked')),
      counted('feedback-change', 'What should we change? (optional)', d.change, set('change')),
      h('p', { class: 'hint' }, 'Please do not write anyone’s name. Your feedback is anonymous.'),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button primary' }, saved ? 'Change my feedback' : 'Send my feedback'))),
    sending ? h('p', { class: 'hint' }, 'Your feedback is not sent yet: it will be sent by itself.') : null,
    saved ? h('section', { class: 'my-list', 'aria-labelledby': 'mine-feedback' },
      h('h2', { id: 'mine-feedback' }, 'Your feedback'),
      h('p', null, h('strong', null, `${saved.rating}: ${RATINGS[saved.rating - 1] || ''}`)),
      saved.worked ? h('p', null, `What worked: ${saved.worked}`) : null,
      saved.change ? h('p', null, `What to change: ${saved.change}`) : null,
      locked ? null : h('div', { class: 'actions' }, withdrawButton(ctx, saved, 'your feedback'))) : null)
}
