// Replay on the projector, in real Chromium: an event scripted through the
// API (an emotional map with cards, one of them hidden by the facilitator),
// then the projector's replay stepped through with the keyboard: the room as
// it was created, the empty map, the cards arriving one by one (never the
// hidden one: replay shows only what the live board shows), and at the end
// exactly the board the live projector shows. Play and pause, the slider, the
// live region, axe-core and target sizes in replay mode.
//
//   node e2e-replay.mjs --url http://127.0.0.1:PORT --admin-token TOKEN
import { options, browser, api, facilitator, ok, check, fail, shot, axe, until, main, track, eventTemplate } from './e2e-lib.mjs'

const { base, admin } = options()

main(async () => {
  const room = await api(base, 'POST', '/api/rooms', { token: admin, body: { title: 'Replay check', template_definition: eventTemplate } })
  const fac = facilitator(base, room)
  let n = 0
  const join = async (profile) => (await api(base, 'POST', `/api/rooms/${room.code}/participants`, { body: { profile } })).token
  const send = (token, fields) => api(base, 'POST', `/api/rooms/${room.code}/intents`, { token, body: { key: `replay-${n++}-${Math.random()}`, ...fields } })
  await fac('open_activity', { activity: 'map' })
  await fac('set_current', { activity: 'map' })
  const ann = await join({ perspective: 'person' })
  const gp = await join({ perspective: 'staff', role: 'gp' })
  const card = (touchpoint, feeling) => ({ kind: 'add_card', activity: 'map', touchpoint, ...feeling })
  await send(ann, { ...card('booking', { emotion: 'anxious' }), note: 'On hold for 40 minutes' })
  await send(gp, card('booking', { emotion: 'frustrated' }))
  const seen = await send(ann, card('seeing-the-gp', { emotion: 'reassured' }))
  await send(gp, card('results', { word: 'Rushed' }))
  await fac('set_hidden', { id: seen.id, hidden: true })

  const b = await browser()
  const errors = []
  const page = track(await b.newPage({ viewport: { width: 1920, height: 1080 } }), 'projector-replay')
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto(room.projector_url)
  await until(page, () => /^3 cards/.test((document.querySelector('table.heatmap caption') || {}).textContent || ''), null, 'the live map with 3 cards')
  const liveBoard = await page.locator('.board').evaluate((el) => el.outerHTML)

  // What the replayed board shows: null for the welcome screen, else the number of cards on the map.
  const cards = () => page.evaluate(() => {
    const board = document.querySelector('.board')
    if (!board || board.classList.contains('lobby')) return null
    if (board.querySelector('.map-empty')) return 0
    const caption = board.querySelector('table.heatmap caption')
    return caption ? parseInt(caption.textContent, 10) : -1
  })
  const position = () => page.evaluate(() => Number(document.getElementById('replay-position').value))
  const where = () => page.locator('#replay-where').innerText()
  const focused = () => page.evaluate(() => document.activeElement && document.activeElement.id)

  // In by the projector's own button, with the keyboard.
  await page.locator('#replay-open').focus()
  await page.keyboard.press('Enter')
  await page.locator('#replay-position').waitFor()
  check(new URLSearchParams((await page.evaluate(() => location.hash)).slice(1)).has('replay'), 'the address says replay, so a reload stays in it')
  const total = await page.evaluate(() => Number(document.getElementById('replay-position').max))
  // Created, opened, made current, the first join (the second changes no count a screen may show), four cards, one hidden.
  check(total >= 9, `only ${total} steps of history`)
  check(await position() === 1, 'replay starts at the first step')
  check(new RegExp(`^Step 1 of ${total}, \\d\\d:\\d\\d$`).test(await where()), `the first step is labelled with its time: ${await where()}`)
  check(await cards() === null, 'the first step is the room as it was created: the welcome screen, no cards')
  check(await page.getByText('Replay: not live').isVisible(), 'replay says in words that it is not the live board')
  await until(page, () => document.activeElement && document.activeElement.id === 'replay-bar', null, 'focus to move to the replay controls')
  ok('the projector’s “Replay the board” opens replay at the first step: the room as it was created, no cards')

  // Keyboard only: Tab to “Step forward”, then Enter, step by step to the end.
  let guard = 0
  while ((await focused()) !== 'replay-forward' && guard++ < 10) await page.keyboard.press('Tab')
  check(await focused() === 'replay-forward', 'Tab reaches the “Step forward” button')
  const counts = [await cards()]
  for (let step = 2; step <= total; step++) {
    await page.keyboard.press('Enter')
    await until(page, (s) => Number(document.getElementById('replay-position').value) === s, step, `step ${step}`)
    counts.push(await cards())
  }
  // What the room saw change, step by step, with the steps that changed nothing on the map left out.
  const changes = counts.filter((c, i) => i === 0 || c !== counts[i - 1])
  check(changes[1] === 0, `the map appears empty before the first card: ${JSON.stringify(counts)}`)
  check(JSON.stringify(changes) === JSON.stringify([null, 0, 1, 2, 3]), `the cards arrive one by one and the hidden one never appears: ${JSON.stringify(counts)}`)
  check(await focused() === 'replay-forward', 'focus stays on “Step forward” at the end, where it has nothing left to do')
  check(await page.locator('#replay-forward').getAttribute('aria-disabled') === 'true', '“Step forward” says it is unavailable at the end')
  ok('keyboard: stepping forward shows the empty map, then the cards one by one, and never the hidden card')

  // At the end: the live board, exactly.
  check(new RegExp(`^Step ${total} of ${total}, `).test(await where()), 'the last step is labelled')
  check(await page.locator('.board').evaluate((el) => el.outerHTML) === liveBoard, 'the replayed board at the end is the live board')
  check((await page.locator('.participation').innerText()).includes('Fewer than 8 people have joined'), 'two people are too few to count on any screen')
  ok('at the end the replayed board is exactly what the live projector shows')

  // The slider: Home, End and the arrows; the step is said politely once the keys stop.
  await page.locator('#replay-position').focus()
  await page.keyboard.press('Home')
  // The slider's own value moves at the key press; the label only once the board is redrawn.
  await until(page, () => document.getElementById('replay-where').textContent.startsWith('Step 1 of'), null, 'Home on the slider')
  check(await cards() === null, 'Home on the slider goes back to the first step')
  await page.keyboard.press('End')
  await page.keyboard.press('ArrowLeft')
  await page.keyboard.press('ArrowLeft')
  await until(page, (t) => document.getElementById('replay-where').textContent.startsWith(`Step ${t - 2} of`), total, 'End then two steps back on the slider')
  const valuetext = await page.locator('#replay-position').getAttribute('aria-valuetext')
  check(valuetext === await where() && valuetext.startsWith(`Step ${total - 2} of ${total}, `), `the slider's value is said as the step and its time: ${valuetext}`)
  check(await page.getByLabel('Position in the history').count() === 1, 'the slider has a label')
  ok('the slider is labelled and says the step and its time; Home, End and the arrows scrub through the history')
  const spoken = await page.evaluate(() => new Promise((resolve) => setTimeout(() => resolve(document.getElementById('live-polite').textContent), 800)))
  check(spoken === `Step ${total - 2} of ${total}, ${(await where()).split(', ')[1]}`, `the step is announced once, politely: ${spoken}`)
  check(await page.locator('#live-polite').getAttribute('aria-live') === 'polite', 'the live region is polite')
  ok('the step reached is announced once in a polite live region')

  // Target sizes and axe, with the map on the replayed board.
  const small = await page.evaluate(() => [...document.querySelectorAll('.replay-bar button, .replay-bar input')]
    .map((el) => [el.id || el.textContent, el.getBoundingClientRect()])
    .filter(([, box]) => box.width < 24 || box.height < 24).map(([name, box]) => `${name} ${Math.round(box.width)}×${Math.round(box.height)}`))
  check(!small.length, `replay controls smaller than 24 px: ${small.join(', ')}`)
  ok('replay: every control is at least 24 by 24 px')
  await axe(page, 'the projector: replay, part way through the map')
  await shot(page, 'projector-replay')

  // Play from the start: it runs by itself to the end and stops; Pause holds the position.
  await page.locator('#replay-start').click()
  await page.getByRole('button', { name: 'Play', exact: true }).click()
  await page.getByRole('button', { name: 'Pause', exact: true }).waitFor()
  await until(page, () => Number(document.getElementById('replay-position').value) >= 3, null, 'play to move on', 5000)
  await page.getByRole('button', { name: 'Pause', exact: true }).click()
  const held = await position()
  await page.waitForTimeout(1500)
  check(await position() === held, 'pause holds the position')
  await axe(page, 'the projector: replay, paused')
  const started = Date.now()
  await page.getByRole('button', { name: 'Play', exact: true }).click()
  await until(page, (t) => Number(document.getElementById('replay-position').value) === t && !![...document.querySelectorAll('button')].find((x) => x.textContent.includes('Play')), total, 'play to reach the end and stop', 20000)
  const pace = (Date.now() - started) / (total - held)
  check(pace > 300 && pace < 1500, `play moves at a steady pace the room can follow: ${Math.round(pace)} ms a step`)
  check(await page.locator('.board').evaluate((el) => el.outerHTML) === liveBoard, 'play ends on the live board')
  ok('play runs by itself to the end at a steady pace and stops there; pause holds the position')

  // Out again: the live board, with focus back on the way in; a replay link opens replay directly.
  await page.getByRole('button', { name: 'Back to the live board' }).click()
  await page.locator('#replay-open').waitFor()
  check(await page.locator('.replay-bar').count() === 0, 'no replay controls on the live board')
  check(await page.locator('.board').evaluate((el) => el.outerHTML) === liveBoard, 'the live board is back')
  await until(page, () => document.activeElement && document.activeElement.id === 'replay-open', null, 'focus to go back to “Replay the board”')
  await shot(page, 'projector-after-replay')
  await page.goBack()
  await page.locator('#replay-position').waitFor().catch(() => fail('the browser’s Back button did not return to replay'))
  const linked = track(await b.newPage({ viewport: { width: 1280, height: 800 } }), 'projector-replay-link')
  linked.on('pageerror', (e) => errors.push(e.message))
  // The history cannot be fetched at first: the page says so, and “Try again” fetches it.
  await linked.route('**/history', (route) => route.abort('internetdisconnected'))
  await linked.goto(`${room.projector_url}&replay`)
  await linked.locator('.replay-bar', { hasText: 'The room’s history could not be fetched just now.' }).waitFor()
  await until(linked, () => document.getElementById('live-assertive').textContent === 'The room’s history could not be fetched just now.', null, 'the failure to be said at once')
  await linked.unroute('**/history')
  await linked.getByRole('button', { name: 'Try again' }).click()
  await linked.locator('#replay-position').waitFor()
  check(await linked.title() === 'Replay – Projector – Touchpoint', `the page title says replay: ${await linked.title()}`)
  await shot(linked, 'projector-replay-start')
  ok('leaving replay shows the live board again; Back and a #key=…&replay link open replay directly, trying again when the history cannot be fetched')

  check(!errors.length, `script errors: ${errors.join('; ')}`)
  ok('no script errors in any page')
  await b.close()
})
