// Moderation: everything people added, newest first, with Hide and Show
// again. A hidden contribution stays in the record (flagged) and leaves the
// projector and the phones of everyone but its author.
import { h, plural } from '../dom.js'
import { contributions, COLLECTIONS, activity as findActivity, perspectiveLabel, roleLabel, COLLECTION } from '../board.js'

const WHAT = { cards: 'Card', ideas: 'Idea', path_notes: 'PATH note', pledges: 'Pledge', touchstones: 'Word', feedback: 'Feedback' }

export function contributionText(room, c) {
  const a = findActivity(room, c.activity)
  if (c.collection === COLLECTION.CARDS) {
    const t = a && (a.touchpoints || []).find((x) => x.id === c.touchpoint)
    const e = a && (a.emotions || []).find((x) => x.id === c.emotion)
    return `${t ? t.label : c.touchpoint}: ${e ? `${e.icon} ${e.label}` : `“${c.word}”`}${c.note ? ` — “${c.note}”` : ''}`
  }
  if (c.collection === COLLECTION.TOUCHSTONES) return c.word
  if (c.collection === COLLECTION.FEEDBACK) return [`Rated ${c.rating} of 5`, c.worked && `worked: “${c.worked}”`, c.change && `change: “${c.change}”`].filter(Boolean).join(' — ')
  if (c.collection === COLLECTION.PLEDGES) return `${c.text}${c.name || c.organisation ? ` — ${[c.name, c.organisation].filter(Boolean).join(', ')}` : ''}`
  return c.text
}

export function moderationView(ctx) {
  const room = ctx.room
  const filter = ctx.drafts.moderation ??= { onlyHidden: false }
  const all = COLLECTIONS.flatMap((col) => contributions(ctx.board.doc, col, null, { withHidden: true }))
    .sort((x, y) => (y.at || 0) - (x.at || 0))
  const shown = filter.onlyHidden ? all.filter((c) => c.hidden) : all
  const hiddenCount = all.filter((c) => c.hidden).length
  return h('section', { class: 'panel moderation', id: 'tab-moderate', tabindex: '-1', 'aria-labelledby': 'moderation-h' },
    h('h2', { id: 'moderation-h' }, 'Moderation'),
    h('p', { class: 'hint' }, `${plural(all.length, 'contribution')}, ${hiddenCount} hidden. Hiding keeps it in the record, marked as hidden, and takes it off the board.`),
    h('label', { class: 'check' },
      h('input', { type: 'checkbox', checked: filter.onlyHidden, onchange: (e) => { filter.onlyHidden = e.target.checked } }),
      h('span', null, 'Show only hidden contributions')),
    h('ul', { class: 'moderation-list' }, shown.map((c) => {
      const a = findActivity(room, c.activity)
      return h('li', { key: c.id, class: `moderation-item${c.hidden ? ' is-hidden' : ''}` },
        h('p', { class: 'mod-text' }, c.hidden ? h('strong', null, 'Hidden: ') : null, h('span', { dir: 'auto' }, contributionText(room, c))),
        h('p', { class: 'hint' }, [WHAT[c.collection], a ? a.title : c.activity,
          c.perspective ? [perspectiveLabel(room, c.perspective), roleLabel(room, c.perspective, c.role)].filter(Boolean).join(', ') : 'perspective not said',
          c.assisted ? 'typed in from paper' : null].filter(Boolean).join(' · ')),
        h('button', {
          type: 'button',
          class: `button small ${c.hidden ? 'secondary' : 'danger'}`,
          'aria-label': `${c.hidden ? 'Show again' : 'Hide'}: ${contributionText(room, c).slice(0, 60)}`,
          onclick: () => ctx.act({ kind: 'set_hidden', id: c.id, hidden: !c.hidden }, c.hidden ? 'show a contribution again' : 'hide a contribution'),
        }, c.hidden ? 'Show again' : 'Hide'))
    })),
    !shown.length ? h('p', null, filter.onlyHidden ? 'Nothing is hidden.' : 'Nothing has been added yet.') : null)
}
