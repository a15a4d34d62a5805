// The front page: type the room code from the big screen. Below, for
// facilitators, a small form to create a room from a workshop template with
// the admin token, and a check for rooms closed because their data is damaged.
import { h, mount, focusLater } from './dom.js'
import { call, normaliseCode, tabStore } from './api.js'
import { quarantineView } from './console/quarantine.js'

export function startLanding(root) {
  document.title = 'Touchpoint'
  const state = { code: '', error: '', admin: tabStore.get('tp:admin', ''), title: '', programme: '', template: '', templates: null, creating: false, createError: '', created: null }
  const app = { schedule: () => {} }
  Object.assign(app, mount(root, () => view(state, app)))

  call('GET', '/api/templates').then((data) => {
    state.templates = data.templates || []
    if (!state.template && state.templates.length) state.template = state.templates[0].id
    app.schedule()
  }).catch(() => {})
}

function view(state, app) {
  const join = () => {
    const code = normaliseCode(state.code)
    if (code.length !== 10) {
      state.error = 'A room code has 10 letters and numbers. You can find it on the big screen.'
      focusLater('#code')
      return
    }
    location.href = `/join/${code}`
  }
  const create = async () => {
    state.createError = ''
    state.creating = true
    app.schedule()
    try {
      const body = { title: state.title.trim(), template: state.template }
      if (state.programme.trim()) body.programme = state.programme.trim()
      const created = await call('POST', '/api/rooms', { token: state.admin.trim(), body })
      tabStore.set('tp:admin', state.admin.trim())
      location.href = `/facilitate/${created.code}#key=${encodeURIComponent(created.facilitator_key)}`
    } catch (error) {
      state.createError = error.message
      focusLater('#create-error')
    }
    state.creating = false
    app.schedule()
  }
  return h('main', { class: 'page landing', id: 'main' },
    h('h1', null, 'Touchpoint'),
    h('p', { class: 'lead' }, 'Share how care feels, anonymously, from your phone.'),
    h('form', { class: 'join-form', onsubmit: join, 'aria-label': 'Join a room' },
      h('div', { class: 'field' },
        h('label', { for: 'code' }, 'Room code'),
        h('p', { class: 'hint', id: 'code-hint' }, 'The 10 letters and numbers on the big screen. Capitals and spaces do not matter.'),
        h('input', {
          id: 'code', type: 'text', inputmode: 'text', autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false',
          'aria-describedby': state.error ? 'code-hint code-error' : 'code-hint', 'aria-invalid': state.error ? 'true' : null,
          value: state.code, oninput: (e) => { state.code = e.target.value; state.error = '' },
        }),
        state.error ? h('p', { class: 'field-error', id: 'code-error' }, state.error) : null),
      h('button', { type: 'submit', class: 'button primary' }, 'Join the room')),
    h('details', { class: 'facilitators' },
      h('summary', null, 'For facilitators: start a new room'),
      h('form', { onsubmit: create, 'aria-label': 'Create a room' },
        h('div', { class: 'field' },
          h('label', { for: 'room-title' }, 'Title of the event'),
          h('input', { id: 'room-title', type: 'text', required: true, maxlength: 120, value: state.title, oninput: (e) => { state.title = e.target.value } })),
        h('div', { class: 'field' },
          h('label', { for: 'template' }, 'Workshop'),
          h('select', { id: 'template', value: state.template, onchange: (e) => { state.template = e.target.value } },
            (state.templates || []).map((t) => h('option', { value: t.id, key: t.id, selected: state.template === t.id }, t.title)))),
        h('div', { class: 'field' },
          h('label', { for: 'programme' }, 'Programme (optional)'),
          h('p', { class: 'hint', id: 'programme-hint' }, 'Rooms of one programme can be compared, for example “North locality”.'),
          h('input', { id: 'programme', type: 'text', maxlength: 120, 'aria-describedby': 'programme-hint', value: state.programme, oninput: (e) => { state.programme = e.target.value } })),
        h('div', { class: 'field' },
          h('label', { for: 'admin' }, 'Admin token'),
          h('p', { class: 'hint', id: 'admin-hint' }, 'Printed when the server starts, and kept in its data folder.'),
          h('input', { id: 'admin', type: 'password', autocomplete: 'off', 'aria-describedby': 'admin-hint', value: state.admin, oninput: (e) => { state.admin = e.target.value } })),
        state.createError ? h('p', { class: 'notice error', id: 'create-error', tabindex: '-1' }, state.createError) : null,
        h('button', { type: 'submit', class: 'button primary', disabled: state.creating }, state.creating ? 'Creating…' : 'Create the room')),
      quarantineView(state, app.schedule)),
    h('footer', { class: 'page-foot' }, h('a', { href: '/accessibility' }, 'Accessibility statement')))
}

import { route } from './route.js'
if (document.getElementById('app')) startLanding(route().root)
