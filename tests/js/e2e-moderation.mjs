// Moderation before the big screen, in real Chromium: a note held for
// approval reaches no screen until the facilitator approves it, and its author
// is told it waits; a note that names someone is held whatever the setting,
// with the reason shown to the facilitator, and the moderation list names no
// group of fewer than five; an emotional map whose counts are hidden shows no
// count on the projector or a remote screen until revealed; and replay never
// shows a hidden card, nor the earlier words of one edited while hidden.
// Each view is checked as the hall needs it (the projector at three sizes,
// the console on a laptop, the phone at large text) and pictured in
// tests/artifacts/hall.
//
//   node e2e-moderation.mjs --url http://127.0.0.1:PORT --admin-token TOKEN
import { options, browser, api, facilitator, ok, check, fail, axe, until, main, track, eventTemplate, onStage, onLaptop, largeText, setLargeText } from './e2e-lib.mjs'

const { base, admin } = options()

main(async () => {
  const template = structuredClone(eventTemplate)
  template.activities.find((a) => a.id === 'map').hide_counts = true
  const room = await api(base, 'POST', '/api/rooms', { token: admin, body: { title: 'Moderation check', template_definition: template } })
  const fac = facilitator(base, room)
  let n = 0
  const join = async (profile) => (await api(base, 'POST', `/api/rooms/${room.code}/participants`, { body: { profile } })).token
  const send = (token, fields) => api(base, 'POST', `/api/rooms/${room.code}/intents`, { token, body: { key: `mod-${n++}-${Math.random()}`, ...fields } })
  for (const activity of ['ideas', 'path']) await fac('open_activity', { activity })
  await fac('set_current', { activity: 'ideas' })
  await fac('set_moderation', { activity: 'ideas', moderated: true })

  const b = await browser()
  const errors = []
  const open = async (name, width, height, url, large = false) => {
    const page = track(await b.newPage({ viewport: { width, height } }), name)
    page.on('pageerror', (e) => errors.push(`${name}: ${e.message}`))
    // The phone at large text: the browser's default font size at 32 px.
    if (large) await setLargeText(page)
    await page.goto(url)
    return page
  }
  const projector = await open('projector', 1920, 1080, room.projector_url)
  const con = await open('console', 1280, 900, room.facilitator_url)
  const phone = await open('phone', 320, 640, `${base}/join/${room.code}`, true)
  await phone.getByRole('heading', { name: 'About you' }).waitFor()
  await phone.getByLabel('Person using services').check()
  await phone.getByRole('button', { name: 'Save and continue' }).click()
  await phone.locator('#activity-heading', { hasText: 'Anything else to tell us?' }).waitFor()
  const boardText = (page) => page.evaluate(() => document.querySelector('main').innerText)

  // A note to a moderated activity: the phone says it waits.
  await phone.getByLabel('Your words').fill('idea-waits-b7e1')
  await phone.getByRole('button', { name: 'Send' }).click()
  await phone.locator('#notice', { hasText: 'waits for the facilitator' }).waitFor()
  await axe(phone, 'the phone: a note waiting for the facilitator')
  await largeText(phone, 'held', 'the phone: a note waiting for the facilitator')
  await phone.getByRole('button', { name: 'My contributions' }).click()
  await phone.getByRole('heading', { name: 'Waiting for the facilitator' }).waitFor()
  await phone.locator('.my-item', { hasText: 'idea-waits-b7e1' }).waitFor().catch(() => fail('the phone does not show its writer the words of a note that waits'))
  await axe(phone, 'the phone: my contributions, one waiting for the facilitator')
  await largeText(phone, 'mine-held', 'the phone: my contributions, one waiting for the facilitator')
  ok('the phone says a note waits for the facilitator, and lists it as waiting')
  ok('the phone shows its writer the words of a note that waits for the facilitator')

  // A note that names someone is held whatever the setting, and the facilitator sees why.
  const carer = await join({ perspective: 'carer' })
  const named = await send(carer, { kind: 'add_path_note', activity: 'path', section: 'now', text: 'Ask Dr Patel about it' })
  check(named.held === true, `a note naming someone is held: ${JSON.stringify(named)}`)
  await con.getByRole('button', { name: 'Moderate (2 waiting)' }).click()
  const waiting = con.locator('ul[aria-labelledby="held-h"]')
  await waiting.getByText('idea-waits-b7e1').waitFor()
  await waiting.getByText('Held because it may name a person (a title and a name).').waitFor()
  await waiting.getByText('Held because this activity holds every note for approval.').waitFor()
  const listText = await con.locator('#tab-moderate').innerText()
  check(!listText.includes('Person using services') && !listText.includes('Family carer'), `a group of one is named in the moderation list: ${listText}`)
  check(listText.includes('from a group of fewer than 5 (not named)'), 'the list says why it does not name the group')
  await axe(con, 'the console: moderation, two notes waiting')
  await onLaptop(con, 'moderation', 'the console: moderation, two notes waiting')
  check(!(await boardText(projector)).includes('idea-waits-b7e1'), 'a held note reached the projector')
  await onStage(projector, 'ideas-held', '#ideas-h', 'Open')
  ok('the console lists what waits with the reason, names no group of fewer than 5, and the projector shows none of it')

  await waiting.getByRole('button', { name: 'Approve and show: idea-waits-b7e1' }).click()
  await until(projector, () => document.querySelector('main').innerText.includes('idea-waits-b7e1'), null, 'the approved note on the projector')
  await onStage(projector, 'ideas-approved', '.idea-wall', 'Open')
  await waiting.getByRole('button', { name: 'Turn down: Ask Dr Patel about it' }).click()
  await con.getByText('Turned down (1): kept in the record for the analysts, never shown').waitFor()
  await fac('set_current', { activity: 'path' })
  await until(projector, () => document.querySelector('main').innerText.includes('Our PATH'), null, 'the projector on the PATH')
  check(!(await boardText(projector)).includes('Dr Patel'), 'a turned-down note reached the projector')
  ok('approval puts a note on the projector at once; a turned-down one never reaches it')

  // An emotional map whose counts stay hidden until revealed.
  await fac('open_activity', { activity: 'map' })
  await fac('set_current', { activity: 'map' })
  const remote = await open('remote', 1280, 800, `${base}/remote/${room.code}`)
  await remote.getByRole('heading', { name: 'About you' }).waitFor()
  await remote.getByRole('button', { name: 'Skip these questions' }).click()
  await remote.locator('.remote-board').waitFor()
  const ann = await join({ perspective: 'person' })
  const gp = await join({ perspective: 'staff', role: 'gp' })
  const card = (touchpoint, emotion, note) => ({ kind: 'add_card', activity: 'map', touchpoint, emotion, ...(note ? { note } : {}) })
  await send(ann, card('booking', 'anxious', 'note-visible-c1'))
  await send(gp, card('booking', 'frustrated'))
  await send(ann, card('results', 'reassured'))
  for (const page of [projector, remote]) {
    await until(page, () => !!document.querySelector('.map-hidden'), null, 'the map with its counts hidden')
    const text = await page.locator('.board').innerText()
    check(!(await page.locator('table.heatmap, .note-wall').count()), 'a table of counts or the notes are shown before the reveal')
    check(!/\d+\s+cards?/.test(text) && !text.includes('note-visible-c1'), `a count or a note is shown before the reveal: ${text}`)
  }
  await axe(projector, 'the projector: a map with its counts hidden')
  await onStage(projector, 'map-hidden', '.map-hidden', 'Open')
  await con.getByRole('button', { name: 'Run the event' }).click()
  await con.locator('.activity-row', { hasText: 'How care feels today' }).getByRole('button', { name: 'Reveal counts' }).click()
  for (const page of [projector, remote]) {
    await until(page, () => /^3 cards/.test((document.querySelector('table.heatmap caption') || {}).textContent || ''), null, 'the map revealed with its 3 cards')
  }
  ok('a map with hidden counts shows no count, heat or note on the projector and the remote screen until the facilitator reveals it')
  ok('the projector (a held note absent, an approved one shown, a map with hidden counts) fits 720p, 1080p and 4K and is legible at 1080p; the console’s moderation list fits a laptop; the phone’s answers hold at large text')

  // Replay: a card hidden, then edited; another hidden, edited, then shown again.
  const x = await send(ann, card('seeing-the-gp', 'ok', 'x-first-words'))
  await fac('set_hidden', { id: x.id, hidden: true })
  await send(ann, { kind: 'edit_card', id: x.id, note: 'x-second-words' })
  const z = await send(gp, card('results', 'anxious', 'z-before-words'))
  await fac('set_hidden', { id: z.id, hidden: true })
  await send(gp, { kind: 'edit_card', id: z.id, note: 'z-after-words' })
  await fac('set_hidden', { id: z.id, hidden: false })
  await until(projector, () => document.querySelector('main').innerText.includes('z-after-words'), null, 'the card shown again with its new words')

  await projector.goto(`${room.projector_url}&replay`)
  await projector.locator('#replay-position').waitFor()
  const total = await projector.evaluate(() => Number(document.getElementById('replay-position').max))
  const never = ['x-first-words', 'x-second-words', 'z-before-words', 'Dr Patel']
  const seen = new Set()
  for (let step = 1; step <= total; step++) {
    await projector.evaluate((s) => {
      const slider = document.getElementById('replay-position')
      slider.value = String(s)
      slider.dispatchEvent(new Event('input', { bubbles: true }))
    }, step)
    await until(projector, (s) => document.getElementById('replay-where').textContent.startsWith(`Step ${s} of`), step, `replay step ${step}`)
    const html = await projector.evaluate(() => document.querySelector('main').innerHTML)
    for (const words of never) check(!html.includes(words), `replay step ${step} of ${total} shows “${words}”`)
    if (html.includes('z-after-words')) seen.add(step)
  }
  check(seen.has(total), 'the card shown again is on the last step, with its words as they are now')
  await axe(projector, 'the projector: replay of a moderated board')
  ok('replay never shows a hidden card, nor the earlier words of one edited while hidden, at any step')

  check(!errors.length, `script errors: ${errors.join('; ')}`)
  ok('no script errors in any page')
  await b.close()
})
