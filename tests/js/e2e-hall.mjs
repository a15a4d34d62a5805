// The event in the hall, in real Chromium: a full room (a map of 8 moments
// with 300 cards, a vote of 8 options, 150 pledges, 200 touchstone words)
// on a projector at 1280x720, 1920x1080 and 3840x2160 that must fit the
// screen and be legible from the back row; phones at 320 px wide with the
// browser's default font size at 32 px (Chromium's own setting, as Android's
// font scale sets it: not zoom); and the answer to every action given next
// to the control that was used. Screenshots of every view go to
// tests/artifacts/hall (client/docs keeps smaller copies of them).
//
//   node e2e-hall.mjs --url http://127.0.0.1:PORT --admin-token TOKEN
import { options, browser, api, ok, check, fail, until, main, track, axe, onStage, largeText, setLargeText } from './e2e-lib.mjs'

const { base, admin } = options()

const MOMENTS = ['Finding the number', 'Booking', 'The waiting room', 'Seeing the nurse', 'Seeing the GP', 'Tests', 'Results', 'Follow-up']
const EMOTIONS = [
  ['reassured', 'Reassured', 'positive', '#166534', '😌'], ['listened-to', 'Listened to', 'positive', '#14532d', '👂'],
  ['hopeful', 'Hopeful', 'positive', '#0f5132', '🌱'], ['ok', 'OK', 'neutral', '#546e7a', '😐'],
  ['confused', 'Confused', 'negative', '#7c2d12', '😕'], ['anxious', 'Anxious', 'negative', '#a4262c', '😰'],
  ['frustrated', 'Frustrated', 'negative', '#b93800', '😤'], ['ignored', 'Ignored', 'negative', '#7f1d1d', '😶'],
]
const URDU = 'مجھے انتظار کرنا پڑا'

const hallTemplate = {
  id: 'e2e-hall',
  title: 'A full hall',
  perspectives: [
    { id: 'person', label: 'Person using services', group: 'people' },
    { id: 'carer', label: 'Family carer', group: 'people' },
    { id: 'staff', label: 'Member of staff', group: 'professionals', roles: [{ id: 'gp', label: 'GP' }, { id: 'nurse', label: 'Nurse' }] },
  ],
  segments: [{ id: 'age-band', label: 'How old are you?', options: [{ id: '60-74', label: '60 to 74' }, { id: '75-and-over', label: '75 and over' }] }],
  activities: [
    {
      kind: 'emotion_map', id: 'map', title: 'How care feels today', board: 'current', own_word: true,
      prompt: 'Choose a moment, then how it felt.',
      touchpoints: MOMENTS.map((label, i) => ({ id: `m${i}`, label })),
      emotions: EMOTIONS.map(([id, label, valence, colour, icon]) => ({ id, label, valence, colour, icon })),
    },
    {
      kind: 'vote', id: 'vote', title: 'What should change first?', budget: 5, max_per_option: 3, scale: true, comments: true,
      prompt: 'Place your 5 dots.',
      options: ['A same-day callback', 'A named care coordinator', 'Results explained to you', 'Longer appointments', 'A quiet waiting room', 'Transport to appointments', 'Text reminders', 'An interpreter on the day']
        .map((label, i) => ({ id: `o${i}`, label })),
    },
    { kind: 'pledge', id: 'pledges', title: 'My pledge', touchstones: true, touchstone_prompt: 'What matters most in care?' },
    { kind: 'path', id: 'path', title: 'Our PATH', sections: ['The north star', 'Where we are now', 'Who we enrol', 'The first bold step', 'What keeps us going'].map((label, i) => ({ id: `s${i}`, label })) },
    { kind: 'ideas', id: 'ideas', title: 'Anything else to tell us?', prompt: 'Write anything the map missed.' },
  ],
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** The facilitator types paper contributions in; a 429 (the intent rate limit) waits and tries again. */
function typist(room) {
  let n = 0
  return async (kind, fields = {}) => {
    const body = JSON.stringify({ key: `hall-${n++}-${Math.random()}`, kind, ...fields })
    for (let attempt = 0; attempt < 60; attempt++) {
      const response = await fetch(`${base}/api/rooms/${room.code}/intents`, {
        method: 'POST', body, headers: { Authorization: `Bearer ${room.facilitator_key}`, 'Content-Type': 'application/json' },
      })
      if (response.ok) return response.json()
      if (response.status !== 429 && response.status !== 503) fail(`${kind}: ${response.status} ${await response.text()}`)
      await pause(250)
    }
    fail(`${kind}: still limited after a minute`)
  }
}

/** Runs `jobs` with a few in flight at a time. */
async function all(jobs) {
  const queue = jobs.slice()
  await Promise.all(Array.from({ length: 6 }, async () => { while (queue.length) await queue.shift()() }))
}

const words = ['Kindness', 'Time', 'Being listened to', 'Respect', 'Continuity', 'Dignity', 'Trust', 'Honesty', 'Access', 'Family',
  'Choice', 'Clarity', 'Warmth', 'Patience', 'Safety', 'Hope', 'Courtesy', 'Speed', 'Care', 'Compassion', 'Privacy', 'Humour']

async function fillRoom(fac) {
  const who = (i) => ({ perspective: ['person', 'carer', 'staff'][i % 3] })
  await fac('open_activity', { activity: 'map' })
  await all(Array.from({ length: 300 }, (_, i) => () => fac('add_card', {
    activity: 'map', touchpoint: `m${(i * 7) % 8}`, on_behalf_of: who(i),
    ...(i % 29 === 0 ? { word: ['Lost', 'Rushed', 'Welcome'][i % 3] } : { emotion: EMOTIONS[(i * 3 + (i % 5)) % 8][0] }),
    ...(i % 4 === 0 ? { note: i === 0 ? URDU : `Note ${i}: the receptionist found me a seat and explained how long the wait would be, which helped a great deal.` } : {}),
  })))
  await fac('open_activity', { activity: 'vote' })
  await all(Array.from({ length: 40 }, (_, i) => () => fac('add_paper_ballot', {
    activity: 'vote', dots: { [`o${i % 8}`]: 3, [`o${(i * 3) % 8 === i % 8 ? (i + 1) % 8 : (i * 3) % 8}`]: 2 }, on_behalf_of: who(i),
  })))
  await fac('open_activity', { activity: 'pledges' })
  await all(Array.from({ length: 150 }, (_, i) => () => fac('add_pledge', {
    activity: 'pledges', on_behalf_of: who(i),
    text: `I will ${['call back the same day', 'explain every result in plain words', 'ask who matters to the person', 'book the interpreter before the day'][i % 4]}, starting next month (${i}).`,
    ...(i % 3 === 0 ? { name: `Person ${i}`, organisation: 'Riverside Surgery' } : {}),
  })))
  await all(Array.from({ length: 200 }, (_, i) => () => fac('add_touchstone', {
    activity: 'pledges', on_behalf_of: who(i), word: i === 0 ? 'احترام' : words[(i * i) % words.length],
  })))
  await fac('open_activity', { activity: 'path' })
  await all(Array.from({ length: 40 }, (_, i) => () => fac('add_path_note', {
    activity: 'path', section: `s${i % 5}`, on_behalf_of: who(i), text: `Step ${i}: everyone is known by name and nobody waits alone.`,
  })))
  await fac('open_activity', { activity: 'ideas' })
  await all(Array.from({ length: 60 }, (_, i) => () => fac('add_idea', {
    activity: 'ideas', on_behalf_of: who(i), text: `Idea ${i}: a volunteer at the door who knows the building and greets people by name.`,
  })))
}

/** The answer appears next to the control, is announced, and focus stays on something focusable. */
async function answeredBeside(page, button, text, state) {
  const box = await button.boundingBox()
  const scrollY = await page.evaluate(() => scrollY)
  // The form or section the control belongs to (a card's form folds back to its first step once sent).
  await button.evaluate((el) => { window.usedIn = el.closest('form, section') })
  await button.click()
  const notice = page.locator('.notice', { hasText: text })
  await notice.first().waitFor().catch(() => fail(`${state}: no answer “${text}”`))
  const where = await notice.first().evaluate((el) => ({
    top: el.getBoundingClientRect().top + scrollY, bottom: el.getBoundingClientRect().bottom + scrollY,
    inView: el.getBoundingClientRect().top >= 0 && el.getBoundingClientRect().bottom <= innerHeight,
    inPlace: !!(window.usedIn && window.usedIn.isConnected && window.usedIn.contains(el)),
  }))
  // Where the control is now, if it is still there (what was said above it may have gone).
  const now = (await button.isVisible()) ? await button.boundingBox() : null
  const was = now ? now.y + (await page.evaluate(() => scrollY)) : box.y + scrollY
  if (now) box.height = now.height
  const distance = Math.min(Math.abs(where.top - (was + box.height)), Math.abs(was - where.bottom))
  check(where.inPlace && (distance < 120 || !(await button.isVisible())), `${state}: the answer is ${Math.round(distance)} px away from the control that was used${where.inPlace ? '' : ', outside its form'}`)
  await until(page, () => { const el = document.getElementById('notice'); const r = el && el.getBoundingClientRect(); return r && r.top >= 0 && r.bottom <= innerHeight }, null, `${state}: the answer to come into view`)
  await until(page, (t) => (document.getElementById('live-polite').textContent + document.getElementById('live-assertive').textContent).includes(t), text, `${state}: the answer to be announced`)
  const focused = await page.evaluate(() => document.activeElement && document.activeElement !== document.body && document.activeElement.closest('main') ? '' : `${document.activeElement && document.activeElement.tagName}`)
  check(!focused, `${state}: focus fell to the page (${focused})`)
}

main(async () => {
  const room = await api(base, 'POST', '/api/rooms', { token: admin, body: { title: 'Riverside Surgery: a full hall', template_definition: hallTemplate } })
  const fac = typist(room)
  const errors = []
  const started = Date.now()
  await fillRoom(fac)
  ok(`the room holds 300 cards, 40 ballots, 150 pledges, 200 words, 40 PATH notes and 60 ideas (typed in ${((Date.now() - started) / 1000).toFixed(0)} s)`)

  const b = await browser()
  // ---- The projector, at three sizes. ----
  const projector = track(await b.newPage({ viewport: { width: 1920, height: 1080 } }), 'projector')
  projector.on('pageerror', (e) => errors.push(`projector: ${e.message}`))
  await fac('set_current', { activity: null })
  await projector.goto(room.projector_url)
  await projector.locator('.join-panel.big').waitFor()
  const views = [
    ['lobby', null, '.join-panel.big', null],
    ['map', 'map', 'table.heatmap', 'Open'],
    ['vote', 'vote', '.option-board', 'Open'],
    ['results', 'vote', '.results', 'Results'],
    ['pledges', 'pledges', '.word-cloud', 'Open'],
    ['path', 'path', '.path-board', 'Open'],
    ['ideas', 'ideas', '.idea-wall', 'Open'],
  ]
  for (const [name, id, wait, state] of views) {
    if (name === 'results') {
      await fac('lock_activity', { activity: 'vote' })
      await fac('reveal_activity', { activity: 'vote' })
    }
    await fac('set_current', { activity: id })
    await onStage(projector, name, wait, state)
    ok(`the projector: ${name} fits 720p, 1080p and 4K without scrolling; at 1080p no text under 24 px, body text 32 px`)
  }
  await axe(projector, 'the projector at 1080p: ideas')
  ok('the projector shows the state in large words on a colour, with the QR code and room code readable while open')

  // Motion that helps: bars grow and words settle; none when people ask for less motion.
  const motion = async (reduced) => {
    const context = await b.newContext({ viewport: { width: 1920, height: 1080 }, reducedMotion: reduced ? 'reduce' : 'no-preference' })
    const page = await context.newPage()
    page.on('pageerror', (e) => errors.push(`motion: ${e.message}`))
    await fac('set_current', { activity: 'vote' })
    await page.goto(room.projector_url)
    await page.locator('.results .bar').first().waitFor()
    const bars = await page.evaluate(() => document.querySelector('.results .bar').getAnimations().length)
    await fac('set_current', { activity: 'pledges' })
    await page.locator('.word-cloud .word').first().waitFor()
    const settling = await page.evaluate(() => document.querySelector('.word-cloud .word').getAnimations().length)
    await context.close()
    return bars + settling
  }
  check(await motion(false) >= 2, 'the results bars grow and the words settle as they arrive')
  check(await motion(true) === 0, 'no motion under prefers-reduced-motion')
  ok('results arrive with motion (bars grow, words settle), and none under prefers-reduced-motion')

  // People's words in their own direction: every element that shows them says dir=auto, and Urdu reads right to left.
  const ownDirection = async (page, text, what) => {
    const seen = await page.evaluate((t) => {
      const undirected = [...document.querySelectorAll('.idea, .pledge-text, .pledge-by, .note-text, .word, .path-notes li, .option-board h2, .result-head strong, .my-item p, .note')]
        .filter((el) => el.getAttribute('dir') !== 'auto').map((el) => el.className || el.tagName)
      const el = [...document.querySelectorAll('main *')].find((x) => [...x.childNodes].some((n) => n.nodeType === 3 && n.nodeValue.includes(t)))
      return { undirected, direction: el ? getComputedStyle(el).direction : 'missing' }
    }, text)
    check(!seen.undirected.length, `${what}: people's words without dir=auto: ${seen.undirected.slice(0, 3).join(', ')}`)
    check(seen.direction === 'rtl', `${what}: the Urdu text is shown ${seen.direction}`)
  }
  await fac('set_current', { activity: 'pledges' })
  await projector.locator('.pledge-wall').waitFor()
  await projector.waitForTimeout(500)
  await ownDirection(projector, 'احترام', 'the projector word cloud')
  for (const id of ['ideas', 'path', 'map']) {
    await fac('set_current', { activity: id })
    await projector.waitForTimeout(700)
    const undirected = await projector.evaluate(() => [...document.querySelectorAll('.idea, .note-text, .path-notes li')].filter((el) => el.getAttribute('dir') !== 'auto').length)
    check(!undirected, `the projector ${id}: ${undirected} of people's words without dir=auto`)
  }
  ok('right-to-left words display in their own direction on the projector')

  // ---- Phones at large text: Chromium's default font size at 32 px, 320 px wide. ----
  const context = await b.newContext({ viewport: { width: 320, height: 640 } })
  const page = track(await context.newPage(), 'phone')
  page.on('pageerror', (e) => errors.push(`phone: ${e.message}`))
  await setLargeText(page)
  await page.goto(`${base}/join/${room.code}`)
  await page.getByRole('heading', { name: 'About you' }).waitFor()
  await largeText(page, 'profile', 'the phone: about you')
  // One question at a time, each skippable; then save.
  await page.getByLabel('Family carer').check()
  await page.getByRole('button', { name: 'Next question' }).click()
  await page.getByRole('group', { name: 'How old are you?' }).waitFor()
  await largeText(page, 'profile-segment', 'the phone: about you, the next question')
  await page.getByRole('button', { name: 'Save and continue' }).dblclick()
  await page.locator('#activity-heading', { hasText: 'How care feels today' }).waitFor()
  await fac('open_activity', { activity: 'map' })
  await fac('set_current', { activity: 'map' })
  await page.locator('#activity-heading', { hasText: 'How care feels today' }).waitFor()
  await largeText(page, 'map-moment', 'the phone: choosing a moment')
  await page.getByLabel('Seeing the GP').click()
  await page.locator('#emotions').waitFor()
  await largeText(page, 'map-feeling', 'the phone: choosing a feeling')
  await page.locator('label.emotion-card', { hasText: 'Anxious' }).click()
  await page.locator('#note').waitFor()
  await largeText(page, 'map-note', 'the phone: writing a note')
  // The note: counted as it is typed, never cut, and refused before sending when too long.
  const long = 'x'.repeat(300)
  await page.locator('#note').fill(long)
  check((await page.locator('#note').inputValue()).length === 300, 'a note over the limit is not cut')
  await page.getByText('20 characters too many').waitFor().catch(() => fail('the count does not say how far over the limit the note is'))
  await page.getByRole('button', { name: 'Place my card' }).click()
  await page.locator('.notice.error', { hasText: 'too long' }).waitFor().catch(() => fail('a note over the limit is not refused before sending'))
  check(!(await page.evaluate(() => localStorage.getItem(Object.keys(localStorage).find((k) => k.startsWith('tp:outbox:'))) || '')).includes('xxxx'), 'the long note was not sent')
  await page.locator('#note').fill('Kind, but I waited an hour')
  await page.getByText('26 of 280 characters').waitFor()
  ok('text over a limit is never cut: the count shows as people type and they are told before sending')
  await answeredBeside(page, page.getByRole('button', { name: 'Place my card' }), 'Saved: your card', 'the phone: placing a card')
  ok('a card placed: “saved” beside the form, announced, focus kept')

  // Double taps on every submit button never show a false error.
  await fac('open_activity', { activity: 'ideas' })
  await fac('set_current', { activity: 'ideas' })
  await page.locator('#activity-heading', { hasText: 'Anything else' }).waitFor()
  await page.getByLabel('Your words').fill('A bench by the door')
  await largeText(page, 'ideas', 'the phone: ideas')
  await page.getByRole('button', { name: 'Send' }).dblclick()
  await page.locator('.notice', { hasText: 'Saved: your idea' }).waitFor()
  await page.waitForTimeout(600)
  check(!(await page.locator('.notice.error').count()), 'a double tap on Send shows no error')
  await page.getByLabel('Your words').fill('Chairs with arms')
  await answeredBeside(page, page.getByRole('button', { name: 'Send' }), 'Saved: your idea', 'the phone: sending an idea')

  await fac('set_current', { activity: 'pledges' })
  await page.locator('#activity-heading', { hasText: 'My pledge' }).waitFor()
  await page.getByRole('textbox', { name: 'My pledge' }).fill('Call back the same day')
  await page.getByLabel('Show my name with my pledge').check()
  await page.getByLabel('I would like the organisers to ask me about my pledge later').check()
  await largeText(page, 'pledge', 'the phone: pledge')
  await page.getByLabel('Show my name with my pledge').uncheck()
  await page.getByLabel('I would like the organisers to ask me about my pledge later').uncheck()
  await page.getByRole('button', { name: 'Make my pledge' }).dblclick()
  await page.locator('.notice', { hasText: 'Saved: your pledge' }).waitFor()
  await page.getByRole('textbox', { name: 'What matters most in care?' }).fill('Kindness')
  await answeredBeside(page, page.getByRole('button', { name: 'Add my word' }), 'Saved: your word', 'the phone: adding a word')
  await page.getByRole('textbox', { name: 'What matters most in care?' }).fill('Time')
  await page.getByRole('button', { name: 'Add my word' }).dblclick()
  await page.locator('.notice', { hasText: 'Saved: your word “Time”' }).waitFor()
  await page.waitForTimeout(600)
  check(!(await page.locator('.notice.error').count()), 'a double tap on Make my pledge or Add my word shows no error')

  await fac('set_current', { activity: 'path' })
  await page.locator('#activity-heading', { hasText: 'Our PATH' }).waitFor()
  await page.getByLabel('1. The north star').check()
  await page.getByLabel('Your note for “The north star”').fill('Nobody waits alone')
  await largeText(page, 'path', 'the phone: PATH')
  await page.getByRole('button', { name: 'Add my note' }).dblclick()
  await page.locator('.notice', { hasText: 'Saved: your note' }).waitFor()
  await page.waitForTimeout(600)
  check(!(await page.locator('.notice.error').count()), 'a double tap on Add my note shows no error')

  await fac('set_current', { activity: 'vote' })
  await page.locator('#activity-heading', { hasText: 'What should change first?' }).waitFor()
  await page.locator('.results').waitFor()
  await largeText(page, 'vote-results', 'the phone: vote results')
  ok('a double tap on every submit button never shows a false error')

  // A closed activity says so first, above anything else.
  await fac('lock_activity', { activity: 'ideas' })
  await fac('set_current', { activity: 'ideas' })
  await page.locator('#activity-heading', { hasText: 'Anything else' }).waitFor()
  const first = await page.evaluate(() => {
    const main = document.querySelector('main')
    const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT)
    for (let node = walker.nextNode(); node; node = walker.nextNode()) if (node.nodeValue.trim()) return node.parentElement.closest('p, h1, div').textContent
    return ''
  })
  check(/closed/i.test(first), `a closed activity says so first (the first words are “${first.slice(0, 60)}”)`)
  await largeText(page, 'closed', 'the phone: a closed activity')
  ok('a closed activity says so first, above anything else')

  // Erasing everything from the phone, with a clear confirmation; a second tab of the same phone
  // stays open on the activity, as a forgotten tab does.
  const other = track(await context.newPage(), 'other-tab')
  other.on('pageerror', (e) => errors.push(`other tab: ${e.message}`))
  await setLargeText(other)
  await other.goto(`${base}/join/${room.code}`)
  await other.locator('#activity-heading', { hasText: 'Anything else' }).waitFor()
  await page.bringToFront()
  await page.getByRole('button', { name: 'My contributions' }).click()
  await page.getByRole('heading', { name: 'My contributions' }).waitFor()
  await largeText(page, 'mine', 'the phone: my contributions')
  const token = await page.evaluate((c) => JSON.parse(localStorage.getItem(`tp:token:${c}`)), room.code)
  await page.getByRole('button', { name: 'Erase everything I gave' }).click()
  await page.getByRole('button', { name: 'Yes, erase everything' }).waitFor()
  check(await page.evaluate(() => /cannot be undone/.test(document.querySelector('main').textContent)), 'the confirmation says it cannot be undone')
  await largeText(page, 'erase', 'the phone: erasing everything', { from: '.erase' })
  await answeredBeside(page, page.getByRole('button', { name: 'Yes, erase everything' }), 'Everything you gave has been erased', 'the phone: erasing everything')
  // Both tabs may send the one erasure (they share the outbox); the second to arrive is refused, and that is no error.
  check(!(await page.locator('.notice.error').count()), `erasing shows a false error: ${await page.locator('main').innerText()}`)
  // The token opens nothing any more, and the phone has let it go: a next visit joins afresh.
  const me = await fetch(`${base}/api/rooms/${room.code}/me`, { headers: { Authorization: `Bearer ${token}` } })
  check(me.status === 401 && (await me.json()).error.code === 'participant_erased', `the erased token still works (${me.status})`)
  check(!(await page.evaluate((c) => localStorage.getItem(`tp:token:${c}`), room.code)), 'the phone still keeps the erased token')
  ok('a participant erases everything they gave from the phone, after a clear confirmation')

  // The forgotten tab still holds the erased token: its next action says, in a sentence, that the
  // person has left the room, and offers to join again, rather than a refusal in the server's words.
  await fac('set_current', { activity: 'pledges' })
  await other.bringToFront()
  await other.locator('#activity-heading', { hasText: 'My pledge' }).waitFor()
  await other.getByRole('textbox', { name: 'What matters most in care?' }).fill('Kindness')
  await other.getByRole('button', { name: 'Add my word' }).click()
  await other.getByRole('heading', { name: 'You have left this room' }).waitFor().catch(async () => fail(`a tab with an erased token shows: ${await other.locator('main').innerText()}`))
  check(/Everything you gave here has been erased/.test(await other.locator('main').innerText()), 'the erased tab says what happened')
  check(!(await other.locator('.notice.error').count()), 'the erased tab shows an error')
  await until(other, () => document.activeElement && document.activeElement.id === 'activity-heading', null, 'focus on the erased tab’s heading')
  await largeText(other, 'erased', 'the phone: its token erased')
  await axe(other, 'the phone: its token erased')
  await other.getByRole('button', { name: 'Join again' }).click()
  await other.getByRole('heading', { name: 'About you' }).or(other.locator('#activity-heading', { hasText: 'My pledge' })).first().waitFor()
  const fresh = await other.evaluate((c) => JSON.parse(localStorage.getItem(`tp:token:${c}`)), room.code)
  check(fresh && fresh !== token, 'joining again gives the phone a new token')
  check((await fetch(`${base}/api/rooms/${room.code}/me`, { headers: { Authorization: `Bearer ${fresh}` } })).ok, 'the new token opens the room')
  ok('a tab whose token was erased says the person has left the room, in a sentence, and joins again at a tap')
  await context.close()

  // ---- A card in 3 taps and one screen of scrolling, on a 375x667 phone. ----
  const small = await b.newContext({ viewport: { width: 375, height: 667 }, hasTouch: true, isMobile: true })
  const phone = track(await small.newPage(), 'small-phone')
  phone.on('pageerror', (e) => errors.push(`small phone: ${e.message}`))
  await fac('set_current', { activity: null })
  await phone.goto(`${base}/join/${room.code}`)
  await phone.getByRole('heading', { name: 'About you' }).waitFor()
  const profileFits = await phone.evaluate(() => {
    const buttons = [...document.querySelectorAll('main button')]
    const oneAtATime = document.querySelectorAll('main fieldset').length === 1 && buttons.some((x) => /skip/i.test(x.textContent))
    const bottom = document.querySelector('main').getBoundingClientRect().bottom
    return oneAtATime || bottom <= innerHeight ? '' : `it ends at ${Math.round(bottom)} px`
  })
  check(!profileFits, `the profile fits one screen, or asks its questions one at a time, each skippable: ${profileFits}`)
  ok('the profile fits one screen or asks one question at a time, each skippable')
  await phone.getByRole('button', { name: 'Skip these questions' }).tap()
  await fac('set_current', { activity: 'map' })
  await phone.locator('#activity-heading', { hasText: 'How care feels today' }).waitFor()
  let scrolled = 0
  const tapVisible = async (locator) => {
    await locator.scrollIntoViewIfNeeded()
    scrolled = Math.max(scrolled, await phone.evaluate(() => scrollY))
    await locator.tap()
  }
  await tapVisible(phone.getByLabel('Results'))
  await phone.locator('#emotions').waitFor()
  await tapVisible(phone.locator('label.emotion-card', { hasText: 'Hopeful' }))
  await phone.locator('#note').waitFor()
  await tapVisible(phone.getByRole('button', { name: 'Place my card' }))
  await phone.locator('.notice', { hasText: 'Saved: your card' }).waitFor()
  check(scrolled <= 667, `placing a card scrolled ${scrolled} px, more than one screen`)
  console.log(`# placing the card scrolled ${scrolled} px`)
  ok('a card is placed in 3 taps with at most one screen of scrolling on a 375x667 phone')
  await small.close()

  check(!errors.length, `no script errors:\n${errors.join('\n')}`)
  ok('no script errors in any page')
  await b.close()
})
