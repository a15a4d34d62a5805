// "You said, we did": the updates on the room's public page, which participants keep from
// their phones. The console posts them, corrects them and removes them; the server commits
// each before it answers, so what the list shows is what the page shows. Nothing is kept in
// the browser but the text being written.
import { h, focusLater } from '../dom.js'
import { call, roomApi } from '../api.js'
import { countView, countedProps, fitsLimits } from '../phone/counted.js'

export function updatesView(ctx) {
  const u = ctx.updates || (ctx.updates = { list: null, maxChars: 2000, pageUrl: null, draft: '', editing: null, editDraft: '', removing: null, busy: false })
  if (u.list === null && !u.loading) load(ctx)
  return h('div', { id: 'tab-after', tabindex: '-1' }, h('div', { class: 'console-grid' },
    h('section', { class: 'panel', 'aria-labelledby': 'post-h' },
      h('h2', { id: 'post-h' }, 'Tell people what happened next'),
      h('p', { class: 'hint' }, 'Everyone who took part can keep the room’s public page. Write there what was done with what they said, in plain words, over the months after the event. It is public: no names, phone numbers or email addresses.'),
      u.pageUrl ? h('p', null, h('a', { href: u.pageUrl, target: 'touchpoint-updates', rel: 'noopener' }, 'Open the public page'), h('span', { class: 'hint' }, ` ${u.pageUrl}`)) : null,
      h('form', { class: 'update-form', 'aria-label': 'Post an update', onsubmit: () => post(ctx) },
        h('div', { class: 'field' },
          h('label', { for: 'update-text' }, 'A new update'),
          h('textarea', { ...countedProps('update-text', u.draft, u.maxChars), rows: 5, oninput: (e) => { u.draft = e.target.value; ctx.schedule() } }),
          countView('update-text', u.draft, u.maxChars)),
        h('button', { type: 'submit', class: 'button primary', 'aria-disabled': u.busy ? 'true' : null }, 'Post to the page'))),
    h('section', { class: 'panel', 'aria-labelledby': 'posted-h' },
      h('h2', { id: 'posted-h', tabindex: '-1' }, 'On the page now'),
      u.list === null ? h('p', { class: 'hint' }, u.loadError || 'Loading…')
        : u.list.length ? h('ol', { class: 'update-list' }, u.list.map((update) => updateRow(ctx, update)))
          : h('p', null, 'Nothing posted yet. The page says that the team will write there.'))))
}

function updateRow(ctx, update) {
  const u = ctx.updates
  const when = h('p', { class: 'hint' }, `Posted ${day(update.posted_at)}`, update.edited_at ? `, corrected ${day(update.edited_at)}` : '')
  if (u.editing === update.id) {
    const id = `edit-${update.id}`
    return h('li', { key: update.id, class: 'update-row' }, when,
      h('form', { 'aria-label': 'Correct this update', onsubmit: () => save(ctx, update) },
        h('div', { class: 'field' },
          h('label', { for: id }, 'Corrected text'),
          h('textarea', { ...countedProps(id, u.editDraft, u.maxChars), rows: 4, oninput: (e) => { u.editDraft = e.target.value; ctx.schedule() } }),
          countView(id, u.editDraft, u.maxChars)),
        h('div', { class: 'row-actions' },
          h('button', { type: 'submit', class: 'button small primary' }, 'Save the correction'),
          h('button', { type: 'button', class: 'button small secondary', onclick: () => { u.editing = null; focusLater(`#correct-${update.id}`) } }, 'Cancel'))))
  }
  return h('li', { key: update.id, class: 'update-row' }, when,
    h('p', { class: 'update-text', dir: 'auto' }, update.text),
    u.removing === update.id
      ? h('div', { class: 'row-actions', role: 'group', 'aria-label': 'Remove this update?' },
        h('button', { type: 'button', id: `remove-sure-${update.id}`, class: 'button small danger', onclick: () => remove(ctx, update) }, 'Remove it from the page'),
        h('button', { type: 'button', class: 'button small secondary', onclick: () => { u.removing = null; focusLater(`#remove-${update.id}`) } }, 'Keep it'))
      : h('div', { class: 'row-actions' },
        h('button', { type: 'button', id: `correct-${update.id}`, class: 'button small secondary', onclick: () => { u.editing = update.id; u.editDraft = update.text; focusLater(`#edit-${update.id}`) } }, 'Correct'),
        h('button', { type: 'button', id: `remove-${update.id}`, class: 'button small secondary', onclick: () => { u.removing = update.id; focusLater(`#remove-sure-${update.id}`) } }, 'Remove')))
}

const day = (seconds) => new Date(seconds * 1000).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric' })

async function load(ctx) {
  const u = ctx.updates
  u.loading = true
  try {
    const answer = await call('GET', `${roomApi(ctx.code)}/updates`, { token: ctx.key })
    u.list = answer.updates
    u.maxChars = answer.max_chars
    u.pageUrl = answer.page_url
    u.loadError = null
  } catch (error) {
    u.loadError = `Could not load the updates: ${error.message}`
  }
  u.loading = false
  ctx.schedule()
}

async function post(ctx) {
  const u = ctx.updates
  if (u.busy) return
  const text = u.draft.trim()
  if (!text) {
    ctx.say('Write the update first.', 'error')
    return focusLater('#update-text')
  }
  if (!fitsLimits(ctx, null, [['update-text', 'the update', text, u.maxChars]])) return
  u.busy = true
  try {
    const update = await call('POST', `${roomApi(ctx.code)}/updates`, { token: ctx.key, body: { text } })
    u.list = [update, ...(u.list || [])]
    u.draft = ''
    ctx.say('Posted to the public page.', 'saved')
  } catch (error) {
    ctx.say(`Not posted: ${error.message}`, 'error')
    focusLater('#update-text')
  }
  u.busy = false
  ctx.schedule()
}

async function save(ctx, update) {
  const u = ctx.updates
  try {
    const corrected = await call('PUT', `${roomApi(ctx.code)}/updates/${update.id}`, { token: ctx.key, body: { text: u.editDraft } })
    u.list = u.list.map((x) => (x.id === update.id ? corrected : x))
    u.editing = null
    ctx.say('Corrected on the public page.', 'saved')
    focusLater(`#correct-${update.id}`)
  } catch (error) {
    ctx.say(`Not corrected: ${error.message}`, 'error')
    focusLater(`#edit-${update.id}`)
  }
  ctx.schedule()
}

async function remove(ctx, update) {
  const u = ctx.updates
  try {
    await call('DELETE', `${roomApi(ctx.code)}/updates/${update.id}`, { token: ctx.key })
    u.list = u.list.filter((x) => x.id !== update.id)
    u.removing = null
    ctx.say('Removed from the public page.', 'saved')
    focusLater('#posted-h')
  } catch (error) {
    ctx.say(`Not removed: ${error.message}`, 'error')
  }
  ctx.schedule()
}
