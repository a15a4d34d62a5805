// Late contributions: what phones sent after an activity closed (written
// offline, sent when the network came back). The server keeps them, marked
// late and hidden; here the facilitator sees them and may show them on the
// board, or leave them aside. Either way they stay in the record.
import { h, plural } from '../dom.js'
import { contributions, COLLECTIONS, activity as findActivity } from '../board.js'
import { contributionText } from './moderation.js'

export function lateView(ctx) {
  const room = ctx.room
  const late = COLLECTIONS.flatMap((col) => contributions(ctx.board.doc, col, null, { withHidden: true }))
    .filter((c) => c.late)
    .sort((x, y) => (y.at || 0) - (x.at || 0))
  if (!late.length) return null
  const waiting = late.filter((c) => c.hidden).length
  return h('section', { class: 'panel late', 'aria-labelledby': 'late-h' },
    h('h2', { id: 'late-h' }, 'Arrived after the close'),
    h('p', { class: 'hint' }, `${plural(late.length, 'contribution')} arrived after its activity closed, ${waiting} not shown. They are in the record, marked late; show one to put it on the board.`),
    h('ul', { class: 'moderation-list' }, late.map((c) => {
      const a = findActivity(room, c.activity)
      const words = contributionText(room, c)
      return h('li', { key: c.id, class: `moderation-item late-item${c.hidden ? ' is-hidden' : ''}` },
        h('p', { class: 'mod-text' }, h('strong', null, c.hidden ? 'Late, not shown: ' : 'Late, shown: '), h('span', { dir: 'auto' }, words)),
        h('p', { class: 'hint' }, a ? a.title : c.activity),
        h('button', {
          type: 'button',
          class: `button small ${c.hidden ? 'primary' : 'secondary'}`,
          'aria-label': `${c.hidden ? 'Show on the board' : 'Take off the board'}: ${words.slice(0, 60)}`,
          onclick: () => ctx.act({ kind: 'set_hidden', id: c.id, hidden: !c.hidden }, c.hidden ? 'show a late contribution' : 'take a late contribution off the board'),
        }, c.hidden ? 'Show on the board' : 'Take off the board'))
    })))
}
