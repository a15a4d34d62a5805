// The facilitator console with the keyboard alone (WCAG 2.2 AA: 2.1.1, 2.4.3,
// 2.4.7, 2.4.11): Tab, Shift+Tab, Enter, Space and the arrow keys run a
// facilitator's job, never the mouse. Every stop on the way must show its
// focus, on screen and uncovered, and no action may drop focus to <body>
// when the page re-renders.
//
//   node e2e-keyboard.mjs --url http://127.0.0.1:PORT --admin-token TOKEN
import { options, browser, api, ok, check, shot, axe, until, main, track, eventTemplate, focusVisible } from './e2e-lib.mjs'

const { base, admin } = options()

main(async () => {
  const b = await browser()
  const errors = []
  const room = await api(base, 'POST', '/api/rooms', { token: admin, body: { title: 'Keyboard check', template_definition: eventTemplate } })
  // A laptop's screen, short enough that the console scrolls.
  const context = await b.newContext({ viewport: { width: 1280, height: 720 } })
  const page = track(await context.newPage(), 'keyboard')
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto(`${base}/facilitate/${room.code}#key=${room.facilitator_key}`)
  await page.getByRole('heading', { name: 'Activities' }).waitFor()

  /** What a screen reader would call the focused element, and where it is. */
  const focused = () => page.evaluate(() => {
    const el = document.activeElement
    const label = el.labels && el.labels.length ? el.labels[0].textContent : ''
    return { tag: el.tagName, id: el.id, name: (el.getAttribute('aria-label') || label || el.textContent || '').trim() }
  })
  let stops = 0
  /** Tabs (or Shift+Tabs) until the focused element's name matches, checking every stop on the way. */
  const tabTo = async (name, { back = false, max = 90 } = {}) => {
    const wanted = (f) => (name instanceof RegExp ? name.test(f.name) : f.name === name)
    for (let i = 0; i < max; i++) {
      await page.keyboard.press(back ? 'Shift+Tab' : 'Tab')
      stops++
      await focusVisible(page, `Tab stop ${stops}`)
      const f = await focused()
      if (wanted(f)) return f
    }
    throw new Error(`${max} presses of ${back ? 'Shift+Tab' : 'Tab'} never reached “${name}”; focus is on ${JSON.stringify(await focused())}`)
  }
  /** After an action: the page has re-rendered and focus is still on something the person can see. */
  const settled = async (what) => {
    await page.waitForTimeout(400)
    const f = await focused()
    check(f.tag !== 'BODY', `${what}: focus fell back to <body>`)
    await focusVisible(page, what)
    return f
  }
  const board = (fn, arg, what) => until(page, fn, arg, what)
  /** The state word of an activity's row: Not started, Open or Closed. */
  const activityState = (title) => page.evaluate((title) => {
    const row = [...document.querySelectorAll('.activity-row')].find((r) => r.querySelector('.link-button').textContent.trim() === title)
    return row ? row.querySelector('.state').textContent : ''
  }, title)

  // In through the skip link.
  await page.keyboard.press('Tab')
  check((await focused()).name === 'Skip to the controls', 'the first Tab reaches the skip link')
  await focusVisible(page, 'the skip link')
  await page.keyboard.press('Enter')
  check((await focused()).id === 'main', 'the skip link moves focus to the controls')

  // On to the first activity, with the one big button.
  await tabTo('Start: How care feels today')
  await page.keyboard.press('Enter')
  await board(() => document.body.innerText.includes('On phones now'), null, 'the map to be on phones')
  check((await settled('after Start')).name === 'Next: The options for change', 'focus stays on the Next button, which now names the next activity')
  check((await activityState('How care feels today')) === 'Open', 'the map is open')
  ok('keyboard: the Next button opens the first activity and keeps focus for the next one')

  // Edit the journey: add a touchpoint, then rename it.
  await tabTo('New touchpoint')
  await page.keyboard.type('Collecting a prescription')
  await page.keyboard.press('Enter')
  await board(() => document.body.innerText.includes('4. Collecting a prescription'), null, 'the new touchpoint')
  check((await settled('after adding a touchpoint')).name === 'New touchpoint', 'focus returns to the empty field for the next touchpoint')
  await tabTo('Rename “Collecting a prescription”', { back: true })
  await page.keyboard.press('Enter')
  check((await settled('after Rename')).name === 'New name for Collecting a prescription', 'Rename moves focus into the new name')
  await page.keyboard.press('Control+A')
  await page.keyboard.type('Picking up a prescription')
  await page.keyboard.press('Enter')
  await board(() => document.body.innerText.includes('4. Picking up a prescription'), null, 'the renamed touchpoint')
  check((await settled('after renaming')).name === 'Rename “Picking up a prescription”', 'focus returns to the Rename button of the renamed touchpoint')
  ok('keyboard: a touchpoint is added and renamed, and focus lands where the next step starts')

  // A paper card on a carer's behalf: arrow keys choose in each list.
  await tabTo('From', { back: true })
  await page.keyboard.press('ArrowDown')
  await page.keyboard.press('ArrowDown')
  check(await page.inputValue('#paper-perspective-map') === 'carer', 'arrow keys choose “Family carer”')
  await tabTo('Touchpoint')
  await page.keyboard.press('ArrowDown')
  await tabTo('Feeling')
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowDown')
  check(await page.inputValue('#paper-emotion-map') === 'anxious', `arrow keys choose “Anxious”: ${await page.inputValue('#paper-emotion-map')}`)
  await tabTo('Note (optional)')
  await page.keyboard.type('Phoned at 8 and every line was busy')
  await tabTo('Add the paper card')
  await page.keyboard.press('Enter')
  await board(() => document.body.innerText.includes('1 paper card typed in here'), null, 'the paper card to be sent')
  check((await settled('after the paper card')).name === 'Touchpoint', 'focus returns to the first field for the next card')
  ok('keyboard: a paper card is typed in on a carer’s behalf, and focus returns for the next card')

  // The timer.
  await tabTo('2 min', { back: true })
  await page.keyboard.press('Space')
  await board(() => !!document.querySelector('.timer-now'), null, 'the timer to run')
  await settled('after starting the timer')
  ok('keyboard: the timer starts')

  // Moderation: hide the card, then show it again from the list of hidden ones.
  await tabTo('Moderate', { back: true })
  await page.keyboard.press('Enter')
  check((await settled('after opening Moderate')).id === 'tab-moderate', 'focus moves to the moderation section')
  await tabTo(/^Hide: Booking an appointment: 😰 Anxious/)
  await page.keyboard.press('Enter')
  await board(() => document.body.innerText.includes('1 hidden'), null, 'the card to be hidden')
  check(/^Show again:/.test((await settled('after Hide')).name), 'focus stays on the card, whose button now says Show again')
  await tabTo('Show only hidden contributions', { back: true })
  await page.keyboard.press('Space')
  await settled('after ticking “Show only hidden contributions”')
  await tabTo(/^Show again: Booking an appointment/)
  await page.keyboard.press('Enter')
  await board(() => document.body.innerText.includes('0 hidden'), null, 'the card to be shown again')
  await settled('after Show again, when the card leaves the list of hidden ones')
  ok('keyboard: a card is hidden and shown again in moderation, and focus never falls to the page')

  // A vote: open it, a phone votes, reveal the results.
  await tabTo('Run the event', { back: true })
  await page.keyboard.press('Enter')
  check((await settled('after opening Run the event')).id === 'tab-run', 'focus moves to the run section')
  await tabTo('The options for change')
  await tabTo('Open and show')
  await page.keyboard.press('Enter')
  await board(() => [...document.querySelectorAll('.activity-row')].some((r) => r.textContent.includes('The options for change') && r.textContent.includes('On phones now')), null, 'the vote to be on phones')
  const stayed = await settled('after “Open and show”')
  check(stayed.name === 'Open and show' && (await page.evaluate(() => document.activeElement.getAttribute('aria-disabled'))) === 'true',
    'focus stays on “Open and show”, now marked unavailable, so a second Enter cannot close the vote')
  await page.keyboard.press('Enter')
  await page.waitForTimeout(300)
  const state = await activityState('The options for change')
  check(state === 'Open', `a second Enter changed nothing: the vote is still open (${state})`)
  const voter = await api(base, 'POST', `/api/rooms/${room.code}/participants`, { body: { profile: { perspective: 'person' } } })
  await api(base, 'POST', `/api/rooms/${room.code}/intents`, { token: voter.token, body: { key: 'kb-vote-1', kind: 'set_dots', activity: 'options', option: 'callback', dots: 2 } })
  await board(() => document.body.innerText.includes('2 dots from 1 person'), null, 'the live results in the console', 3000)
  // The console hears of each ballot from the board (its count of changes), not from a poll.
  let asked = 0
  page.on('request', (r) => { if (r.url().endsWith('/activities/options/results')) asked++ })
  const other = await api(base, 'POST', `/api/rooms/${room.code}/participants`, { body: { profile: { perspective: 'staff', role: 'gp' } } })
  const cast = Date.now()
  await api(base, 'POST', `/api/rooms/${room.code}/intents`, { token: other.token, body: { key: 'kb-vote-2', kind: 'set_dots', activity: 'options', option: 'coordinator', dots: 1 } })
  await board(() => document.body.innerText.includes('1 dot from 1 person'), null, 'the second ballot in the console within 2 s', 2000)
  const after = Date.now() - cast
  const quiet = asked
  await page.waitForTimeout(4000)
  check(quiet >= 1 && asked === quiet, `the console asked for the results once per change, and not while nothing changed (${quiet}, then ${asked})`)
  ok(`the console shows a new ballot within two seconds of its casting, without polling (${after} ms)`)
  await tabTo('Reveal results')
  await page.keyboard.press('Enter')
  await board(() => document.body.innerText.includes('results shown'), null, 'the vote to be revealed')
  check((await settled('after Reveal')).name === 'Hide results', 'focus stays on the button, which now hides the results')
  await axe(page, 'the console after a keyboard walkthrough: a vote revealed')
  await shot(page, 'console-keyboard-reveal')
  ok('keyboard: a vote is opened and its results revealed')

  // A snapshot, and a look at it.
  await tabTo('Snapshots and data', { back: true })
  await page.keyboard.press('Enter')
  check((await settled('after opening Snapshots and data')).id === 'tab-data', 'focus moves to the data section')
  await tabTo('Name (optional)')
  await page.keyboard.type('Keyboard check')
  await page.keyboard.press('Enter')
  await board(() => document.querySelector('.snapshot-list') && document.querySelector('.snapshot-list').textContent.includes('Keyboard check'), null, 'the snapshot to be listed')
  await settled('after taking a snapshot')
  await tabTo('Look at the snapshot “Keyboard check”')
  await page.keyboard.press('Enter')
  check((await settled('after Look')).id === 'snapshot-h', 'focus moves to the snapshot')
  await shot(page, 'console-keyboard-snapshot')
  ok('keyboard: a snapshot is taken and opened')

  ok(`keyboard: ${stops} Tab stops, each with its focus visible and uncovered`)
  check(!errors.length, `no script errors:\n${errors.join('\n')}`)
  ok('no script errors in the console')
  await b.close()
})
