// Vote results, shown only once the facilitator reveals them: options ranked
// by dots (or by score when there are no dots), each with its number in
// words beside the bar.
import { h, plural } from '../dom.js'

export function resultsView(a, { level = 2, results = a.results } = {}) {
  if (!results) return null
  const options = (a.options || []).map((o) => ({ ...o, r: results[o.id] || { dots: 0, voters: 0, scores: [0, 0, 0, 0, 0], mean_score: null } }))
  const byDots = (a.budget || 0) > 0
  options.sort((x, y) => byDots ? y.r.dots - x.r.dots || (y.r.mean_score || 0) - (x.r.mean_score || 0) : (y.r.mean_score || 0) - (x.r.mean_score || 0))
  const top = Math.max(1, ...options.map((o) => (byDots ? o.r.dots : o.r.mean_score || 0)))
  return h('section', { class: 'results', 'aria-labelledby': `results-${a.id}` },
    h(`h${level}`, { id: `results-${a.id}` }, 'Results'),
    h('ol', { class: 'result-list' }, options.map((o, i) => {
      const value = byDots ? o.r.dots : o.r.mean_score || 0
      const scored = (o.r.scores || []).reduce((n, x) => n + x, 0)
      const words = [
        byDots ? `${plural(o.r.dots, 'dot')} from ${plural(o.r.voters, 'person', 'people')}` : null,
        a.scale ? (o.r.mean_score != null ? `average score ${o.r.mean_score} out of 5 (${plural(scored, 'score')})` : 'no scores') : null,
      ].filter(Boolean).join(' · ')
      return h('li', { key: o.id, class: 'result' },
        h('div', { class: 'result-head' }, h('span', { class: 'rank' }, `${i + 1}.`), ' ', h('strong', { dir: 'auto' }, o.label)),
        h('div', { class: 'bar-track', 'aria-hidden': 'true' }, h('div', { class: 'bar', style: { width: `${Math.round((value / top) * 100)}%` } })),
        h('p', { class: 'result-words' }, words))
    })))
}
