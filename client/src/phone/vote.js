// Votes on a phone: dots with the remaining budget always in view, a score
// from 1 to 5, and comments, per option. Every tap is an intent; the phone
// shows the choice at once and says "saved" when the server has it. People
// can change their mind until the facilitator locks the vote.
import { h, plural } from '../dom.js'
import { resultsView } from '../projector/votes.js'
import { changedByArrow } from '../a11y.js'
import { LIMITS, countView, countedProps, fitsLimits } from './counted.js'
import { COLLECTION } from '../board.js'

// Scores browsed with the arrow keys are sent once the person stops on one.
const arrowTimers = {}

const SCORE_WORDS = ['', 'Very poor', 'Poor', 'OK', 'Good', 'Very good']

/** My dots and scores: what the server confirmed, overlaid with what is still on its way. */
function myBallot(ctx, a) {
  const dots = { ...(ctx.me.dots[a.id] || {}) }
  const scores = { ...(ctx.me.scores[a.id] || {}) }
  const pending = new Set()
  for (const item of ctx.outbox.pending()) {
    const b = item.body
    if (b.activity !== a.id) continue
    if (b.kind === 'set_dots') { dots[b.option] = b.dots; pending.add(`dots:${b.option}`) }
    if (b.kind === 'set_score') { scores[b.option] = b.score; pending.add(`score:${b.option}`) }
  }
  return { dots, scores, pending }
}

export function voteView(ctx, a, locked) {
  const budget = a.budget || 0
  const max = a.max_per_option || budget
  const { dots, scores, pending } = myBallot(ctx, a)
  // Not in the drafts: a score still being browsed must not outlive a reload.
  const browsing = (ctx.browsing || (ctx.browsing = {}))[a.id] || (ctx.browsing[a.id] = {})
  Object.assign(scores, browsing)
  const used = Object.values(dots).reduce((n, d) => n + (d || 0), 0)
  const left = budget - used
  const d = ctx.draft(a.id)
  d.comments = d.comments || {}
  const revealed = a.revealed && a.results

  const setDots = (o, n) => {
    ctx.send({ kind: 'set_dots', activity: a.id, option: o.id, dots: n },
      `${plural(n, 'dot')} on “${o.label}”`, { quiet: true })
  }
  const setScore = (o, n) => {
    ctx.send({ kind: 'set_score', activity: a.id, option: o.id, score: n },
      n ? `a score of ${n} for “${o.label}”` : `no score for “${o.label}”`, { quiet: true })
  }
  const sendComment = (o) => {
    const text = (d.comments[o.id] || '').trim()
    if (!text) return
    if (!fitsLimits(ctx, `comment-${o.id}`, [[`comment-${o.id}`, 'your comment', text, LIMITS.text]])) return
    ctx.send({ kind: 'add_idea', activity: a.id, option: o.id, text }, `your comment on “${o.label}”`,
      { collection: COLLECTION.IDEAS, place: `comment-${o.id}`, restore: { activity: a.id, fields: { comments: { ...d.comments, [o.id]: text } } } })
    d.comments[o.id] = ''
    ctx.saveDrafts()
  }

  return h('div', { class: 'vote' },
    budget && !locked ? h('div', { class: 'budget', 'aria-live': 'polite' },
      h('span', { class: 'dots-row', 'aria-hidden': 'true' }, '●'.repeat(Math.max(0, left)) + '○'.repeat(Math.max(0, used))),
      h('strong', null, `You have ${left} of ${plural(budget, 'dot')} left`),
      max < budget ? h('span', { class: 'hint' }, ` (at most ${max} on one option)`) : null) : null,
    locked ? h('p', null, 'Voting has closed. Every vote that arrived before then is counted.') : null,
    revealed ? resultsView(a, { level: 2 }) : null,
    h('ol', { class: 'options' }, (a.options || []).map((o, i) => {
      const mine = dots[o.id] || 0
      const score = scores[o.id] || null
      return h('li', { class: 'option', key: o.id },
        h('h2', { id: `opt-${o.id}`, dir: 'auto' }, o.label),
        o.hint ? h('p', { class: 'hint' }, o.hint) : null,
        budget ? h('div', { class: 'dots-control', role: 'group', 'aria-labelledby': `opt-${o.id} dots-${o.id}` },
          h('button', { type: 'button', class: 'round', disabled: locked || mine <= 0, 'aria-label': `Take a dot off “${o.label}”`, onclick: () => setDots(o, mine - 1) }, '−'),
          h('span', { class: 'dot-count', id: `dots-${o.id}` },
            h('span', { 'aria-hidden': 'true' }, '●'.repeat(mine) || '–'), ' ', plural(mine, 'dot'),
            pending.has(`dots:${o.id}`) ? h('span', { class: 'hint' }, ' (sending)') : null,
            // The budget stays in view however far down the options someone has scrolled.
            locked ? null : h('span', { class: 'hint left-here' }, ` · ${left} left`)),
          h('button', { type: 'button', class: 'round', disabled: locked || left <= 0 || mine >= max, 'aria-label': `Put a dot on “${o.label}”`, onclick: () => setDots(o, mine + 1) }, '+')) : null,
        a.scale ? h('fieldset', { class: 'scale' },
          h('legend', null, `Your score for “${o.label}”`),
          h('div', { class: 'scale-row' }, [1, 2, 3, 4, 5].map((n) => h('label', { class: `scale-choice${score === n ? ' is-checked' : ''}`, key: `s${n}` },
            h('input', { type: 'radio', name: `score-${a.id}-${o.id}`, value: String(n), checked: score === n, disabled: locked,
              onchange: () => {
                clearTimeout(arrowTimers[o.id])
                if (!changedByArrow()) { delete browsing[o.id]; setScore(o, n); return }
                browsing[o.id] = n
                arrowTimers[o.id] = setTimeout(() => { delete browsing[o.id]; setScore(o, n); ctx.schedule() }, 800)
              } }),
            h('span', null, h('strong', null, String(n)), h('span', { class: 'scale-word' }, SCORE_WORDS[n]))))),
          score && !locked ? h('button', { type: 'button', class: 'link-button', onclick: () => setScore(o, null) }, 'Clear my score') : null,
          pending.has(`score:${o.id}`) ? h('p', { class: 'hint' }, 'Sending your score…') : null) : null,
        a.comments && !locked ? h('div', { class: 'field' },
          h('label', { for: `comment-${o.id}` }, `How could “${o.label}” be better? (optional)`),
          h('textarea', { ...countedProps(`comment-${o.id}`, d.comments[o.id], LIMITS.text), rows: 2,
            oninput: (e) => { d.comments[o.id] = e.target.value; ctx.saveDrafts() } }),
          countView(`comment-${o.id}`, d.comments[o.id], LIMITS.text),
          h('button', { type: 'button', class: 'button secondary small', onclick: () => sendComment(o) }, 'Send comment'),
          ctx.noticeAt(`comment-${o.id}`)) : null)
    })))
}
