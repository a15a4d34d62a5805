// The facilitator console and the remote attendee in real Chromium: create a
// room from the front page, run an event from the console (open and show,
// edit the journey live, type in paper cards, timer, moderation, reveal,
// snapshots, downloads), with axe-core on every state; then the remote
// attendee's screen with the keyboard alone, hearing the board change.
//
//   node e2e-console.mjs --url http://127.0.0.1:PORT --admin-token TOKEN
import { options, browser, api, ok, check, shot, axe, until, main, track, eventTemplate, focusVisible } from './e2e-lib.mjs'

const { base, admin } = options()

main(async () => {
  const b = await browser()
  const errors = []
  const context = await b.newContext({ viewport: { width: 1366, height: 900 }, acceptDownloads: true })
  const watch = (page, name) => { track(page, name); page.on('pageerror', (e) => errors.push(`${name}: ${e.message}`)); page.on('dialog', (d) => d.accept()); return page }

  // A facilitator creates a room from the front page with the admin token.
  const landing = watch(await context.newPage(), 'landing')
  await landing.goto(`${base}/`)
  await landing.getByText('For facilitators: start a new room').click()
  await landing.getByLabel('Title of the event').fill('Co-design 1: West locality')
  await landing.getByLabel('Workshop').selectOption('current-experience')
  await landing.getByLabel('Admin token').fill('wrong-token-wrong-token')
  await landing.getByRole('button', { name: 'Create the room' }).click()
  await landing.getByText('The admin token is not valid').waitFor()
  await axe(landing, 'the front page with a refused admin token')
  await landing.getByLabel('Admin token').fill(admin)
  await landing.getByRole('button', { name: 'Create the room' }).click()
  await landing.waitForURL(/\/facilitate\/[A-Z0-9]{10}#key=/)
  await landing.getByText('Co-design 1: West locality').first().waitFor()
  ok('a facilitator creates a room from a template on the front page and lands in its console')
  await landing.close()

  // The console of a room with every kind of activity.
  const room = await api(base, 'POST', '/api/rooms', { token: admin, body: { title: 'Console check', template_definition: eventTemplate } })
  const con = watch(await context.newPage(), 'console')
  await con.goto(`${base}/facilitate/${room.code}`)
  await con.getByLabel('Facilitator key or link').waitFor()
  await axe(con, 'the console asking for its key')
  await con.getByLabel('Facilitator key or link').fill('not-the-key')
  await con.getByRole('button', { name: 'Open the console' }).click()
  await con.getByText('This key does not open this room').waitFor()
  await con.getByLabel('Facilitator key or link').fill(`${base}/facilitate/${room.code}#key=${room.facilitator_key}`)
  await con.getByRole('button', { name: 'Open the console' }).click()
  await con.getByRole('heading', { name: 'Activities' }).waitFor()
  ok('the console takes the facilitator key, or the whole link, and refuses a wrong one')
  await axe(con, 'the console: run the event, lobby')

  const [popup] = await Promise.all([context.waitForEvent('page'), con.getByRole('link', { name: 'Open the projector' }).click()])
  await popup.locator('.join-panel.big').waitFor()
  ok('the console opens the projector in another window')
  // On its own screen, as in the room: a tab behind the console would not be painted.
  const projectorUrl = popup.url()
  await popup.close()
  const projector = watch(await (await b.newContext({ viewport: { width: 1920, height: 1080 } })).newPage(), 'projector')
  await projector.goto(projectorUrl)
  await projector.locator('.join-panel.big').waitFor()

  const phoneContext = await b.newContext({ viewport: { width: 360, height: 740 } })
  const phone = watch(await phoneContext.newPage(), 'phone')
  await phone.goto(`${base}/join/${room.code}`)
  await phone.getByRole('button', { name: 'Skip these questions' }).click()

  const row = (title) => con.locator('.activity-row', { hasText: title })
  await row('How care feels today').getByRole('button', { name: 'Open and show' }).click()
  await phone.locator('#activity-heading', { hasText: 'How care feels today' }).waitFor()
  await row('How care feels today').getByText('On phones now').waitFor()
  ok('“Open and show” opens the map and moves every phone to it')
  await axe(con, 'the console: the map open')

  // Edit the journey live: add, rename, move (buttons, no dragging).
  await con.getByLabel('New touchpoint').fill('Collecting a prescription')
  await con.getByRole('button', { name: 'Add touchpoint' }).click()
  await phone.getByLabel('Collecting a prescription').waitFor()
  await con.getByRole('button', { name: 'Rename “Results”' }).click()
  await until(con, () => document.activeElement.id.startsWith('rename-input-'), null, 'focus on the new name')
  await axe(con, 'the console: renaming a touchpoint')
  await con.keyboard.press('Control+A')
  await con.keyboard.type('Test results')
  await con.keyboard.press('Enter')
  await phone.getByLabel('Test results').waitFor()
  await con.getByRole('button', { name: 'Move “Collecting a prescription” up' }).click()
  await until(phone, () => [...document.querySelectorAll('#touchpoints .choice')].map((l) => l.textContent).join('|').includes('Seeing the GP|Collecting a prescription|Test results'), null, 'the new order on the phone')
  await until(con, () => document.activeElement.id.startsWith('move-up-'), null, 'focus to stay on the moved touchpoint’s button')
  await projector.evaluate(() => 1)
  ok('touchpoints are added, renamed and moved live, and the phones follow at once')

  // Paper cards, quickly, with the perspective the person gave.
  const paper = con.locator('.paper-entry')
  await paper.getByLabel('From').selectOption('carer')
  await paper.getByLabel('Touchpoint').selectOption('booking')
  await paper.getByLabel('Feeling').selectOption('anxious')
  await paper.getByLabel('Note (optional)').fill('Phoned at 8 and every line was busy')
  await axe(con, 'the console: typing in a paper card')
  await paper.getByRole('button', { name: 'Add the paper card' }).click()
  await until(con, () => document.activeElement.id.startsWith('paper-first-'), null, 'focus back on the first field for the next card')
  check(await paper.getByLabel('From').inputValue() === 'carer', 'the perspective stays set for the next card')
  check(await paper.getByLabel('Note (optional)').inputValue() === '', 'the note clears for the next card')
  await paper.getByLabel('Feeling').selectOption('frustrated')
  await paper.getByRole('button', { name: 'Add the paper card' }).click()
  await con.getByText('2 paper cards typed in here.').waitFor()
  await until(projector, () => document.querySelectorAll('table.heatmap td.hot').length === 2, null, 'the paper cards on the projector')
  ok('paper cards are typed in quickly: the perspective stays, the text clears, focus returns to the first field')

  // Timer.
  await con.getByRole('button', { name: '2 min' }).click()
  await projector.locator('.timer').waitFor()
  await phone.locator('.pill.clock').waitFor()
  await axe(con, 'the console: a timer running')
  await con.getByRole('button', { name: 'Stop' }).click()
  await until(projector, () => !document.querySelector('.timer'), null, 'the timer to stop')
  ok('the timer shows on the projector and the phones, and stops')

  // Moderation.
  await con.getByRole('button', { name: 'Moderate' }).click()
  await con.getByRole('heading', { name: 'Moderation' }).waitFor()
  await axe(con, 'the console: moderation')
  await con.getByRole('button', { name: /^Hide: Booking an appointment: 😰 Anxious/ }).click()
  await until(projector, () => !document.body.innerText.includes('every line was busy'), null, 'the hidden card to leave the projector')
  await con.getByLabel('Show only hidden contributions').check()
  await con.getByRole('button', { name: /^Show again:/ }).waitFor()
  await axe(con, 'the console: moderation, hidden only')
  await con.getByRole('button', { name: /^Show again:/ }).click()
  await projector.getByText('every line was busy').waitFor()
  ok('moderation hides a card from the board and shows it again')

  // The vote: live results for the facilitator only, then the reveal.
  await con.getByRole('button', { name: 'Run the event' }).click()
  await row('How care feels today').getByRole('button', { name: 'Close' }).click()
  await row('How care feels today').getByText('Closed').waitFor()
  await row('The options for change').getByRole('button', { name: 'Open and show' }).click()
  await phone.locator('#activity-heading', { hasText: 'The options for change' }).waitFor()
  await phone.getByRole('button', { name: 'Put a dot on “A named care coordinator”' }).click()
  await phone.getByRole('button', { name: 'Put a dot on “A named care coordinator”' }).click()
  await con.locator('.console-results .result', { hasText: '2 dots from 1 person' }).waitFor({ timeout: 15000 })
  check(!(await projector.locator('.results').count()), 'the projector has no results yet')
  await axe(con, 'the console: a vote with results only the facilitator sees')
  await con.getByRole('button', { name: 'Next: My pledge' }).waitFor()
  await row('The options for change').getByRole('button', { name: 'Reveal results' }).click()
  await projector.locator('.result', { hasText: 'A named care coordinator' }).first().waitFor()
  ok('the facilitator sees a vote’s results live before anyone else; the reveal shows them on the projector')

  // Snapshots and downloads.
  await con.getByRole('button', { name: 'Snapshots and data' }).click()
  await con.locator('.snapshot-list', { hasText: 'How care feels today (locked)' }).waitFor()
  await con.getByLabel('Name (optional)').fill('Before lunch')
  await con.getByRole('button', { name: 'Take a snapshot' }).click()
  await con.locator('.snapshot-list', { hasText: 'Before lunch' }).waitFor()
  await con.getByRole('button', { name: 'Look at the snapshot “How care feels today (locked)”' }).click()
  await until(con, () => document.activeElement && document.activeElement.id === 'snapshot-h', null, 'focus on the snapshot')
  await con.locator('.snapshot-view table.heatmap').waitFor()
  check((await con.locator('.snapshot-view').innerText()).includes('every line was busy'), 'the snapshot of the closed map holds the paper card')
  ok('a snapshot opens in the console: the map as it stood when it closed')
  await axe(con, 'the console: snapshots and data, looking at a snapshot')
  const [download] = await Promise.all([con.waitForEvent('download'), con.getByRole('button', { name: 'Everything (JSON)' }).click()])
  const exported = JSON.parse(await (await import('node:fs/promises')).readFile(await download.path(), 'utf8'))
  check(JSON.stringify(exported).includes('every line was busy'), 'the JSON export holds the paper card')
  const [csv] = await Promise.all([con.waitForEvent('download'), con.getByRole('button', { name: 'cards (CSV)' }).click()])
  check(csv.suggestedFilename() === `${room.code}-cards.csv`, `the cards CSV is named after the room: ${csv.suggestedFilename()}`)
  ok('snapshots are listed (one per closed activity, and on demand) and the data downloads as JSON and CSV')
  const [replay] = await Promise.all([context.waitForEvent('page'), con.getByRole('link', { name: 'Replay the board on the projector' }).click()])
  await replay.locator('#replay-position').waitFor()
  check(replay.url().endsWith('&replay') && !replay.url().includes(room.facilitator_key), 'the replay opens with the projector’s key, never the facilitator’s')
  await replay.close()
  ok('the console opens a replay of the board in the projector window')
  await shot(con, 'console-data', { fullPage: true })
  await con.getByRole('button', { name: 'Run the event' }).click()
  await shot(con, 'console-run', { fullPage: true })

  // The remote attendee: keyboard only, screen-reader announcements.
  const remoteContext = await b.newContext({ viewport: { width: 1280, height: 800 } })
  const remote = watch(await remoteContext.newPage(), 'remote')
  await remote.goto(`${base}/remote/${room.code}`)
  await remote.getByRole('heading', { name: 'About you' }).waitFor()
  await remote.keyboard.press('Tab')
  check(await remote.evaluate(() => document.activeElement.textContent === 'Skip to your controls'), 'the first Tab reaches the skip link')
  await focusVisible(remote, 'the skip link')
  await remote.keyboard.press('Enter')
  await remote.keyboard.press('Tab')
  await focusVisible(remote, 'the first control after skipping')
  // Skip the questions with the keyboard.
  for (let i = 0; i < 30 && !(await remote.evaluate(() => document.activeElement.textContent === 'Skip these questions')); i++) await remote.keyboard.press('Tab')
  await remote.keyboard.press('Enter')
  await until(remote, () => document.activeElement && document.activeElement.id === 'activity-heading', null, 'focus on the vote heading after skipping')
  await axe(remote, 'the remote attendee: a revealed vote')
  // Dots with the keyboard.
  for (let i = 0; i < 40 && !(await remote.evaluate(() => (document.activeElement.getAttribute('aria-label') || '').startsWith('Put a dot on “A same-day callback”'))); i++) {
    await remote.keyboard.press('Tab')
    await focusVisible(remote, 'each control on the way')
  }
  await remote.keyboard.press('Enter')
  await remote.getByText('You have 2 of 3 dots left').waitFor()
  ok('remote: the keyboard alone reaches every control, with the focus always visible and never covered')

  // The board changes are announced politely.
  const spoken = []
  await remote.exposeFunction('heard', (text) => spoken.push(text))
  await remote.evaluate(() => new MutationObserver(() => {
    const text = document.getElementById('live-polite').textContent
    if (text) window.heard(text)
  }).observe(document.getElementById('live-polite'), { childList: true, characterData: true, subtree: true }))
  await row('Anything else to tell us?').getByRole('button', { name: 'Open and show' }).click()
  await until(remote, () => document.getElementById('activity-heading').textContent.includes('Anything else'), null, 'the remote to follow')
  const other = await api(base, 'POST', `/api/rooms/${room.code}/participants`, { body: { profile: { perspective: 'staff', role: 'receptionist' } } })
  await api(base, 'POST', `/api/rooms/${room.code}/intents`, { token: other.token, body: { key: 'remote-announce-1', kind: 'add_idea', activity: 'ideas', text: 'Let us text people when the doctor is running late' } })
  await until(remote, () => document.getElementById('live-polite').textContent.includes('New idea'), null, 'the new idea to be announced', 10000)
  const said = spoken.join(' | ')
  check(said.includes('The facilitator has moved the room to: Anything else to tell us?'), `the move is announced: ${said}`)
  check(said.includes('New idea from member of staff: Let us text people'), `the new idea is announced: ${said}`)
  check(await remote.evaluate(() => document.getElementById('live-polite').getAttribute('aria-live') === 'polite'), 'announcements are polite')
  ok('remote: activity changes and new contributions are announced in a polite live region')
  await remote.getByLabel('Your words').fill('Hearing loops at reception')
  await remote.keyboard.press('Tab')
  await remote.keyboard.press('Enter')
  await remote.locator('#notice', { hasText: 'Saved: your idea' }).waitFor()
  await axe(remote, 'the remote attendee: ideas, with the board beside')
  await shot(remote, 'remote-ideas', { fullPage: true })
  await axe(con, 'the console: ideas open')

  check(!errors.length, `no script errors:\n${errors.join('\n')}`)
  ok('no script errors in any page')
  await b.close()
})
