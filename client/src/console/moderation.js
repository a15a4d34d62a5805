// Moderation: what waits for approval before the big screen, which activities
// hold every note, and everything people added, newest first, with Hide and
// Show again. A hidden contribution stays in the record (flagged) and leaves
// the projector and the phones of everyone but its author.
//
// Held notes are not on the board (every phone syncs the board), so the
// console reads them from the facilitator-only moderation route. The board
// only counts each change to an activity's held notes (`held_version`, which
// says nothing of what or whose): the console reads the list again when that
// count moves, instead of polling. The same answer says which perspectives and
// roles have at least five people in the room: no other is named beside a
// note, since a label shared by fewer points at someone.
import { h, plural } from '../dom.js'
import { call, roomApi } from '../api.js'
import { contributions, COLLECTIONS, activity as findActivity, perspectiveLabel, roleLabel, COLLECTION, KIND } from '../board.js'

const WHAT = { cards: 'Card', ideas: 'Idea', path_notes: 'PATH note', pledges: 'Pledge', touchstones: 'Word', feedback: 'Feedback' }

const REASONS = {
  titled_name: 'it may name a person (a title and a name)',
  phone_number: 'it has a phone number',
  email: 'it has an email address',
  nhs_number: 'it has an NHS number',
}

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

/** Reads the moderation list again when an activity's held notes changed. */
export function moderationMayHaveChanged(ctx) {
  const signature = ctx.room.activities.map((a) => `${a.id}:${a.held_version || 0}`).join('|')
  if (signature === ctx.moderationSignature) return
  ctx.moderationSignature = signature
  refreshModeration(ctx)
}

async function refreshModeration(ctx) {
  // Only the newest answer counts: an older request may come back last.
  const asked = ctx.moderationAsked = (ctx.moderationAsked || 0) + 1
  try {
    const list = await call('GET', `${roomApi(ctx.code)}/moderation`, { token: ctx.key })
    if (asked !== ctx.moderationAsked) return
    ctx.moderation = list
    ctx.schedule()
  } catch (error) {
    if (error.retry && asked === ctx.moderationAsked) setTimeout(() => refreshModeration(ctx), 3000)
  }
}

/** How many notes wait for the facilitator, for the console's tab. */
export function waitingCount(ctx) {
  return ((ctx.moderation && ctx.moderation.held) || []).filter((item) => item.status === 'held').length
}

/** Who a note is from, naming only groups of at least five people in the room. */
function whoFrom(ctx, c, withheld = false) {
  const list = ctx.moderation || { perspectives: [], roles: [] }
  const paper = c.assisted ? ' · typed in from paper' : ''
  if (withheld && !c.perspective) return `from a group of fewer than 5 (not named)${paper}`
  if (!c.perspective) return `perspective not said${paper}`
  if (!list.perspectives.includes(c.perspective)) return `from a group of fewer than 5 (not named)${paper}`
  const role = c.role && list.roles.includes(`${c.perspective}:${c.role}`) ? roleLabel(ctx.room, c.perspective, c.role) : null
  return [perspectiveLabel(ctx.room, c.perspective), role].filter(Boolean).join(', ') + paper
}

function heldItem(ctx, item) {
  const room = ctx.room
  const c = { ...item.contribution, id: item.id, collection: item.collection }
  const a = findActivity(room, c.activity)
  const words = contributionText(room, c)
  const why = item.reasons.length
    ? `Held because ${item.reasons.map((r) => REASONS[r] || r).join(' and ')}.`
    : 'Held because this activity holds every note for approval.'
  const rejected = item.status === 'rejected'
  return h('li', { key: item.id, class: `moderation-item held${rejected ? ' is-hidden' : ''}` },
    h('p', { class: 'mod-text' }, rejected ? h('strong', null, 'Turned down: ') : null, h('span', { dir: 'auto' }, words)),
    h('p', { class: 'mod-why' }, why),
    h('p', { class: 'hint' }, [WHAT[c.collection], a ? a.title : c.activity, whoFrom(ctx, c, item.group_withheld)].join(' · ')),
    h('div', { class: 'row-actions' },
      h('button', {
        type: 'button',
        class: 'button small primary',
        'aria-label': `Approve and show: ${words.slice(0, 60)}`,
        onclick: () => ctx.act({ kind: 'review', id: item.id, approved: true }, 'approve a note'),
      }, 'Approve and show'),
      rejected ? null : h('button', {
        type: 'button',
        class: 'button small danger',
        'aria-label': `Turn down: ${words.slice(0, 60)}`,
        onclick: () => ctx.act({ kind: 'review', id: item.id, approved: false }, 'turn down a note'),
      }, 'Turn down')))
}

/** Per activity: hold every participant's note for approval before it is shown. */
function holdSettings(ctx) {
  const activities = ctx.room.activities.filter((a) => a.kind !== KIND.FEEDBACK)
  return h('fieldset', { class: 'hold-settings' },
    h('legend', null, 'Hold every note for approval'),
    activities.map((a) => h('label', { class: 'check', key: a.id },
      h('input', {
        type: 'checkbox',
        checked: !!a.moderated,
        onchange: (e) => ctx.act({ kind: 'set_moderation', activity: a.id, moderated: e.target.checked }, `${e.target.checked ? 'hold' : 'stop holding'} notes in “${a.title}”`),
      }),
      h('span', null, a.title))))
}

export function moderationView(ctx) {
  const room = ctx.room
  const filter = ctx.drafts.moderation ??= { onlyHidden: false }
  const held = (ctx.moderation && ctx.moderation.held) || []
  const waiting = held.filter((item) => item.status === 'held')
  const rejected = held.filter((item) => item.status === 'rejected')
  const all = COLLECTIONS.flatMap((col) => contributions(ctx.board.doc, col, null, { withHidden: true }))
    .sort((x, y) => (y.at || 0) - (x.at || 0))
  const shown = filter.onlyHidden ? all.filter((c) => c.hidden) : all
  const hiddenCount = all.filter((c) => c.hidden).length
  return h('section', { class: 'panel moderation', id: 'tab-moderate', tabindex: '-1', 'aria-labelledby': 'moderation-h' },
    h('h2', { id: 'moderation-h' }, 'Moderation'),
    h('h3', { id: 'held-h' }, `Waiting for approval (${waiting.length})`),
    h('p', { class: 'hint' }, 'These are on no screen yet. A note that seems to name or identify someone always waits here, whatever the setting.'),
    waiting.length
      ? h('ul', { class: 'moderation-list', 'aria-labelledby': 'held-h' }, waiting.map((item) => heldItem(ctx, item)))
      : h('p', null, 'Nothing is waiting.'),
    holdSettings(ctx),
    rejected.length ? h('details', { class: 'turned-down' },
      h('summary', null, `Turned down (${rejected.length}): kept in the record for the analysts, never shown`),
      h('ul', { class: 'moderation-list' }, rejected.map((item) => heldItem(ctx, item)))) : null,
    h('h3', null, 'On the board'),
    h('p', { class: 'hint' }, `${plural(all.length, 'contribution')}, ${hiddenCount} hidden. Hiding keeps it in the record, marked as hidden, and takes it off the board.`),
    h('label', { class: 'check' },
      h('input', { type: 'checkbox', checked: filter.onlyHidden, onchange: (e) => { filter.onlyHidden = e.target.checked } }),
      h('span', null, 'Show only hidden contributions')),
    h('ul', { class: 'moderation-list' }, shown.map((c) => {
      const a = findActivity(room, c.activity)
      return h('li', { key: c.id, class: `moderation-item${c.hidden ? ' is-hidden' : ''}` },
        h('p', { class: 'mod-text' }, c.hidden ? h('strong', null, 'Hidden: ') : null, h('span', { dir: 'auto' }, contributionText(room, c))),
        h('p', { class: 'hint' }, [WHAT[c.collection], a ? a.title : c.activity, whoFrom(ctx, c)].join(' · ')),
        h('button', {
          type: 'button',
          class: `button small ${c.hidden ? 'secondary' : 'danger'}`,
          'aria-label': `${c.hidden ? 'Show again' : 'Hide'}: ${contributionText(room, c).slice(0, 60)}`,
          onclick: () => ctx.act({ kind: 'set_hidden', id: c.id, hidden: !c.hidden }, c.hidden ? 'show a contribution again' : 'hide a contribution'),
        }, c.hidden ? 'Show again' : 'Hide'))
    })),
    !shown.length ? h('p', null, filter.onlyHidden ? 'Nothing is hidden.' : 'Nothing has been added yet.') : null)
}
