// "About you": perspective, role and the template's segments. Every answer
// is optional, can be skipped in one tap and changed later; nothing asks for
// a name. The answers only ever appear in counts by group.
import { h, focusLater } from '../dom.js'
import { store } from '../api.js'
import { perspectiveLabel, roleLabel } from '../board.js'

function choices(name, legend, options, selected, onpick, hint) {
  return h('fieldset', { class: 'choices' },
    h('legend', { tabindex: '-1' }, legend),
    hint ? h('p', { class: 'hint' }, hint) : null,
    options.map((o) => h('label', { class: `choice${selected === o.id ? ' is-checked' : ''}`, key: `${name}-${o.id}` },
      h('input', { type: 'radio', name, value: o.id, checked: selected === o.id, onchange: () => onpick(o.id) }),
      h('span', null, o.label, o.hint ? h('span', { class: 'hint' }, o.hint) : null))))
}

export function profileView(ctx) {
  const room = ctx.room
  // The form edits a copy; nothing is sent until "Save".
  if (!ctx.profileDraft) {
    const p = ctx.me.profile || {}
    ctx.profileDraft = { perspective: p.perspective || '', role: p.role || '', segments: { ...(p.segments || {}) } }
  }
  const d = ctx.profileDraft
  const perspective = room.perspectives.find((p) => p.id === d.perspective)
  const none = { id: '', label: 'Prefer not to say' }
  const finish = (save) => {
    if (save) {
      const profile = { segments: {} }
      if (d.perspective) profile.perspective = d.perspective
      if (d.role && perspective && (perspective.roles || []).some((r) => r.id === d.role)) profile.role = d.role
      for (const [k, v] of Object.entries(d.segments)) if (v) profile.segments[k] = v
      if (ctx.remote) profile.remote = true
      ctx.send({ kind: 'set_profile', profile }, 'what you told us about yourself')
    }
    ctx.profileDraft = null
    ctx.profileStep = 0
    store.set(`tp:profiled:${ctx.code}`, true)
    ctx.screen = 'activity'
    focusLater('#activity-heading')
  }
  // One question at a time (who you are, with your role, then each segment), so
  // that every step fits a phone's screen; each can be skipped, and "Save and
  // continue" keeps what was said so far and goes on to the activity.
  const questions = [
    () => [choices('perspective', 'Which best describes you today?', room.perspectives.concat([none]), d.perspective,
      (id) => { d.perspective = id; d.role = '' }),
    perspective && (perspective.roles || []).length
      ? choices('role', 'What is your role? (optional)', perspective.roles.concat([none]), d.role, (id) => { d.role = id })
      : null],
    ...room.segments.map((s) => () => choices(`segment-${s.id}`, s.label, s.options, d.segments[s.id] || '', (id) => { d.segments[s.id] = id })),
  ]
  const step = Math.min(ctx.profileStep || 0, questions.length - 1)
  const last = step === questions.length - 1
  const answered = step === 0 ? !!d.perspective : !!d.segments[room.segments[step - 1].id]
  const next = () => { ctx.profileStep = step + 1; focusLater('.profile legend') }
  return h('form', { class: 'profile', onsubmit: () => finish(true) },
    h('h1', { id: 'activity-heading', tabindex: '-1' }, 'About you'),
    h('p', null, 'Optional, and never your name: answers are only counted in groups, to compare how care feels for different people.'),
    questions.length > 1 ? h('p', { class: 'hint' }, `Question ${step + 1} of ${questions.length}`) : null,
    questions[step](),
    h('div', { class: 'actions' },
      last ? null : h('button', { type: 'button', class: 'button primary', onclick: next }, answered ? 'Next question' : 'Skip this question'),
      h('button', { type: 'submit', class: `button ${last ? 'primary' : 'secondary'}` }, 'Save and continue'),
      h('button', { type: 'button', class: 'button secondary', onclick: () => finish(false) }, 'Skip these questions')))
}

/** One line on the welcome screen: what the room knows about you, and a way to change it. */
export function profileSummary(ctx) {
  const p = ctx.me.profile || {}
  const words = p.perspective
    ? [perspectiveLabel(ctx.room, p.perspective), roleLabel(ctx.room, p.perspective, p.role)].filter(Boolean).join(', ')
    : 'You have not said who you are (that is fine).'
  return h('p', { class: 'summary' }, h('span', null, p.perspective ? `You joined as: ${words}. ` : words + ' '),
    h('button', { type: 'button', class: 'link-button', onclick: () => { ctx.screen = 'profile'; focusLater('#activity-heading') } }, 'Change what you told us'))
}
