// Pledge follow-ups: the people who made a pledge and asked the organisers to
// get in touch about it later, with the contact they left, the date they
// chose and where each follow-up stands; a CSV for a mail merge; and the trail
// of every read and deletion of the contacts. The list is asked for only when
// the facilitator opens this tab, never polled: each read of contacts is
// recorded in the room's audit trail. Done, declined and deleted delete the
// contact for good, so each asks to be confirmed first.
import { h, focusLater, plural, longDate } from '../dom.js'
import { call, roomApi, download } from '../api.js'

const STATUS_WORDS = { to_do: 'To do', contacted: 'Contacted', done: 'Done', declined: 'Declined' }
const ACTION_WORDS = {
  listed: 'read the list',
  exported: 'downloaded the CSV',
  closed: 'marked done or declined: contact deleted',
  deleted: 'deleted a follow-up and its contact',
  withdrawn: 'withdrew a follow-up from the phone: contact deleted',
  expired: 'deleted, past the retention period',
}
const BY_WORDS = { facilitator: 'the facilitator key', participant: 'the pledger', helper: 'a table host’s link', retention: 'the server' }
/** What confirming each deleting step says it does. */
const CONFIRM = {
  done: ['Mark done and delete the contact', 'The follow-up happened.'],
  declined: ['Mark declined and delete the contact', 'The pledger did not want to go on, or could not be reached.'],
  delete: ['Delete the follow-up and its contact', 'Nobody will get in touch about this pledge.'],
}

/** Reads the follow-ups (an audited read of the contacts) and the audit trail. */
export async function loadFollowUps(ctx) {
  ctx.followUps = { loading: true, list: ctx.followUps ? ctx.followUps.list : null, confirm: null }
  ctx.schedule()
  try {
    const answer = await call('GET', `${roomApi(ctx.code)}/follow-ups`, { token: ctx.key })
    ctx.followUps = { list: answer.follow_ups, retentionDays: answer.contact_retention_days, confirm: null }
    await loadAudit(ctx)
  } catch (error) {
    ctx.followUps = { list: null, confirm: null }
    ctx.say(`Could not read the follow-ups: ${error.message}`, 'error')
  }
  ctx.schedule()
}

async function loadAudit(ctx) {
  try {
    ctx.followUps.audit = (await call('GET', `${roomApi(ctx.code)}/contact-audit`, { token: ctx.key })).audit
  } catch {
    // The trail is shown as it was; it is read again after the next change.
  }
  ctx.schedule()
}

async function change(ctx, f, step) {
  const path = `${roomApi(ctx.code)}/follow-ups/${encodeURIComponent(f.id)}`
  try {
    if (step === 'delete') {
      await call('DELETE', path, { token: ctx.key })
      ctx.followUps.list = ctx.followUps.list.filter((x) => x.id !== f.id)
      ctx.say('Follow-up deleted, with its contact.', 'saved')
      focusLater('#follow-ups-h')
    } else {
      const answer = await call('POST', path, { token: ctx.key, body: { status: step } })
      f.status = answer.status
      if (answer.contact_deleted) f.contact = null
      ctx.say(`Marked ${STATUS_WORDS[answer.status].toLowerCase()}${answer.contact_deleted ? '; the contact is deleted' : ''}.`, 'saved')
      focusLater(`#follow-up-${f.id}`)
    }
  } catch (error) {
    ctx.say(`Could not change the follow-up: ${error.message}`, 'error')
  }
  ctx.followUps.confirm = null
  loadAudit(ctx)
}

export function followUpsView(ctx) {
  const state = ctx.followUps || { loading: true }
  const list = state.list || []
  const withContact = list.filter((f) => f.contact).length
  return h('div', { id: 'tab-follow-ups', tabindex: '-1' }, h('div', { class: 'console-grid follow-ups' },
    h('section', { class: 'panel', 'aria-labelledby': 'follow-ups-h' },
      h('h2', { id: 'follow-ups-h', tabindex: '-1' }, 'Pledge follow-ups'),
      h('p', { class: 'hint' }, 'People who made a pledge and asked to be contacted about it later, on the date they chose. ' +
        `A contact is deleted when its follow-up is done or declined, when its pledger withdraws it, or ${state.retentionDays ?? 90} days after its date.`),
      state.loading && !state.list ? h('p', { class: 'notice wait' }, 'Reading the follow-ups…') : null,
      state.list && !list.length ? h('p', null, 'Nobody has asked for a follow-up in this room.') : null,
      list.length ? h('p', null, `${plural(list.length, 'follow-up')}, ${withContact} with a contact.`) : null,
      h('div', { class: 'row-actions' },
        h('button', {
          type: 'button',
          class: 'button small primary',
          'aria-disabled': withContact ? null : 'true',
          onclick: withContact ? () => downloadCsv(ctx) : () => {},
        }, 'Download for a mail merge (CSV)'),
        h('button', { type: 'button', class: 'button small secondary', onclick: () => loadFollowUps(ctx) }, 'Read the list again')),
      list.length ? h('ul', { class: 'moderation-list follow-up-list' }, list.map((f) => item(ctx, f))) : null),
    auditView(state)))
}

async function downloadCsv(ctx) {
  const name = `${ctx.code}-follow-ups.csv`
  try {
    await download(ctx.code, ctx.key, 'follow-ups.csv', name)
    ctx.say(`Downloaded ${name}. It holds contacts: keep it safe, and delete it once the mail merge is done.`, 'saved')
  } catch (error) {
    ctx.say(`Could not download ${name}: ${error.message}`, 'error')
  }
  loadAudit(ctx)
}

function item(ctx, f) {
  const short = f.text.length > 60 ? `${f.text.slice(0, 60)}…` : f.text
  const confirm = ctx.followUps.confirm && ctx.followUps.confirm.id === f.id ? ctx.followUps.confirm.step : null
  const ask = (step) => () => {
    ctx.followUps.confirm = { id: f.id, step }
    focusLater(`#confirm-${f.id}`)
    ctx.schedule()
  }
  const open = f.contact && !['done', 'declined'].includes(f.status)
  return h('li', { key: f.id, class: 'moderation-item follow-up', id: `follow-up-${f.id}`, tabindex: '-1' },
    h('p', { class: 'mod-text' }, h('span', { dir: 'auto' }, f.text),
      f.name || f.organisation ? h('span', { class: 'hint' }, ` (${[f.name, f.organisation].filter(Boolean).join(', ')})`) : null),
    h('dl', { class: 'follow-up-facts' },
      h('dt', null, 'Contact'), h('dd', { dir: 'auto' }, f.contact || h('span', { class: 'hint' }, 'Deleted')),
      h('dt', null, 'Asked for'), h('dd', null, longDate(f.due)),
      h('dt', null, 'Status'), h('dd', null, h('strong', null, STATUS_WORDS[f.status] || f.status))),
    confirm
      ? h('div', { class: 'confirm', role: 'group', 'aria-labelledby': `confirm-${f.id}` },
        h('p', { id: `confirm-${f.id}`, tabindex: '-1' }, h('strong', null, `${CONFIRM[confirm][0]}?`), ` ${CONFIRM[confirm][1]} This cannot be undone.`),
        h('div', { class: 'row-actions' },
          h('button', { type: 'button', class: 'button small danger', onclick: () => change(ctx, f, confirm) }, CONFIRM[confirm][0]),
          h('button', { type: 'button', class: 'button small secondary', onclick: () => { ctx.followUps.confirm = null; focusLater(`#follow-up-${f.id}`); ctx.schedule() } }, 'Cancel')))
      : h('div', { class: 'row-actions' },
        open && f.status !== 'contacted'
          ? h('button', { type: 'button', class: 'button small secondary', 'aria-label': `Mark contacted: ${short}`, onclick: () => change(ctx, f, 'contacted') }, 'Contacted')
          : null,
        open ? h('button', { type: 'button', class: 'button small primary', 'aria-label': `Done: ${short}`, onclick: ask('done') }, 'Done') : null,
        open ? h('button', { type: 'button', class: 'button small secondary', 'aria-label': `Declined: ${short}`, onclick: ask('declined') }, 'Declined') : null,
        h('button', { type: 'button', class: 'button small danger', 'aria-label': `Delete the follow-up: ${short}`, onclick: ask('delete') }, 'Delete')))
}

/** Every read and deletion of the contacts: when, what, by whom and how many, never a contact. */
function auditView(state) {
  const audit = state.audit || []
  return h('section', { class: 'panel', 'aria-labelledby': 'contact-audit-h' },
    h('h2', { id: 'contact-audit-h' }, 'Who read or deleted the contacts'),
    h('p', { class: 'hint' }, 'The room records each time contacts are read or deleted, and by which key. It never records a contact.'),
    audit.length
      ? h('ol', { class: 'contact-audit' }, audit.slice().reverse().map((entry, i) => h('li', { key: `${entry.at}-${i}` },
        h('span', { class: 'hint' }, `${new Date(entry.at * 1000).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' })}: `),
        `${ACTION_WORDS[entry.action] || entry.action} (${plural(entry.contacts, 'contact')}), by ${BY_WORDS[entry.by] || entry.by}`)))
      : h('p', null, 'Nothing yet.'))
}
