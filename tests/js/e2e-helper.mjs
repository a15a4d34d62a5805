// A table host types in a stack of paper cards with the helper link, keyboard
// only: the console shows the link and its QR code, the host opens it on a
// laptop and types ten cards (the perspective and the touchpoint carried from
// card to card, Enter saving each), erases a wrong one from the running list,
// types in a sticky-dot ballot, and the projector shows the cards. The same page on a phone at 320 px with
// large text; axe on every view. Then the facilitator replaces the link, and
// the host's page says the old one no longer works.
//
//   node e2e-helper.mjs --url http://127.0.0.1:PORT --admin-token TOKEN
import { options, browser, api, ok, check, axe, until, main, track, facilitator, eventTemplate, onLaptop, largeText, setLargeText, focusVisible, picture } from './e2e-lib.mjs'

const { base, admin } = options()
/** The most keys one card may take, besides the text of a note. */
const MAX_KEYS_PER_CARD = 6

main(async () => {
  const room = await api(base, 'POST', '/api/rooms', { token: admin, body: { title: 'Paper cards', template_definition: eventTemplate } })
  const fac = facilitator(base, room)
  await fac('open_activity', { activity: 'map' })
  await fac('set_current', { activity: 'map' })
  await fac('start_timer', { seconds: 600 })
  const b = await browser()
  const errors = []
  const watch = (page, name) => { track(page, name); page.on('pageerror', (e) => errors.push(`${name}: ${e.message}`)); return page }

  // The console shows the table hosts' link and its QR code.
  const con = watch(await (await b.newContext({ viewport: { width: 1366, height: 900 } })).newPage(), 'console')
  await con.goto(`${base}/facilitate/${room.code}#key=${room.facilitator_key}`)
  await con.getByText('Table hosts’ link (paper entry)').click()
  const shown = await con.locator('#helper-url').inputValue()
  check(shown === room.helper_url, `the console shows the helper link: ${shown}`)
  const qr = con.getByRole('img', { name: 'QR code of the table hosts’ link' })
  check((await qr.boundingBox()).width >= 150, 'the QR code is large enough to scan')
  await axe(con, 'the console showing the table hosts’ link')
  await onLaptop(con, 'helper-link', 'the console showing the table hosts’ link')
  ok('the console shows the table hosts’ link and its QR code')

  // The table host's laptop: keyboard only from here.
  const host = watch(await (await b.newContext({ viewport: { width: 1280, height: 800 } })).newPage(), 'helper')
  await host.goto(room.helper_url)
  await host.getByRole('heading', { name: 'Typing in: How care feels today' }).waitFor()
  await host.getByText('Open now.').waitFor()
  await host.getByText(/left on the room's timer/).waitFor()
  await axe(host, 'the helper’s page, before the first card')
  ok('the helper’s page says which activity is open and how long its timer runs')

  let keys = 0
  const press = async (key) => { keys++; await host.keyboard.press(key) }
  const focused = () => host.evaluate(() => document.activeElement && document.activeElement.id)
  // To the first field of the card: from the top of the page, once.
  while (!(await focused() || '').startsWith('helper-first-')) {
    await press('Tab')
    check(keys < 20, 'the card’s first field is reached by Tab')
  }
  const setup = keys
  // Who the card is from: once, before the stack (Shift+Tab back to "From", a letter, Tab back).
  await press('Shift+Tab')
  check((await focused()).startsWith('helper-paper-card-perspective'), `Shift+Tab reaches “From”, not ${await focused()}`)
  await press('f') // Family carer
  await press('Tab')
  check((await focused()).startsWith('helper-first-'), 'Tab comes back to the touchpoint')

  // Ten paper cards: [touchpoint letter or null to keep it, feeling letter, note?].
  const stack = [
    ['b', 'a'], [null, 'a'], [null, 'r'], ['s', 'f'], [null, 'a', 'Waited an hour'],
    [null, 'r'], ['r', 'o'], [null, 'a'], [null, 'f'], ['b', 'r'],
  ]
  const perCard = []
  for (const [touchpoint, feeling, note] of stack) {
    const before = keys
    if (touchpoint) await press(touchpoint)
    await press('Tab')
    await press(feeling)
    if (note) {
      await press('Tab')
      await host.keyboard.type(note)
    }
    await press('Enter')
    perCard.push(keys - before)
    await until(host, () => (document.activeElement.id || '').startsWith('helper-first-') && !document.activeElement.closest('form').querySelector('[id^=helper-emotion]').value,
      null, 'focus back on the touchpoint, with the feeling cleared, for the next card')
  }
  await until(host, () => document.querySelectorAll('.helper-entries .my-item.saved').length === 10, null, 'ten cards saved', 20000)
  check(Math.max(...perCard) <= MAX_KEYS_PER_CARD, `each card takes at most ${MAX_KEYS_PER_CARD} keys besides its note: ${perCard.join(', ')}`)
  await focusVisible(host, 'the touchpoint after the tenth card')
  ok(`ten paper cards typed in with the keyboard alone, ${perCard.join(', ')} keys each (besides the note), after ${setup} Tabs to the form`)

  const exported = await api(base, 'GET', `/api/rooms/${room.code}/export.json`, { token: room.facilitator_key })
  const cards = exported.cards.filter((c) => c.assisted)
  check(cards.length === 10 && cards.every((c) => c.perspective === 'carer'), `ten paper cards from a carer in the record: ${JSON.stringify(cards.map((c) => c.perspective))}`)
  check(cards.filter((c) => c.touchpoint === 'booking').length === 4 && cards.some((c) => c.note === 'Waited an hour'), 'the touchpoints carried over and the note are in the record')
  await axe(host, 'the helper’s page with ten cards typed in')
  ok('the record holds the ten cards, from the perspective given once, at the touchpoints carried over')

  // The last card was a slip: erased from the running list, with the keyboard.
  const newest = await host.locator('.helper-entries .my-item').first().locator('.entry-text').innerText()
  check(/Booking an appointment · Reassured/.test(newest), `the newest entry is listed first: ${newest}`)
  while ((await focused()) !== 'erase-last') {
    await press('Tab')
    check(keys < 200, 'the newest entry’s Erase button is reached by Tab')
  }
  await focusVisible(host, 'the Erase button of the newest entry')
  await press('Enter')
  await until(host, () => document.querySelectorAll('.helper-entries .my-item').length === 9, null, 'the erased card to leave the list')
  await host.getByText(/^Erased: Booking an appointment · Reassured/).waitFor()
  const after = await api(base, 'GET', `/api/rooms/${room.code}/export.json`, { token: room.facilitator_key })
  check(after.cards.filter((c) => c.assisted).length === 9, 'the erased card left the record')
  ok('a wrong entry is erased from the running list with the keyboard, and leaves the room')

  // A sticky-dot voter's ballot, once the vote opens: the activity is chosen with the keyboard too.
  await fac('open_activity', { activity: 'options' })
  while ((await focused()) !== 'helper-activity') await press('Shift+Tab')
  await press('t') // The options for change
  while ((await focused()) !== 'helper-ballot-first-options') {
    await press('Tab')
    check(keys < 300, 'the ballot’s first field is reached by Tab')
  }
  await press('2')
  await press('Enter')
  await host.locator('.helper-entries .my-item.saved', { hasText: 'Ballot · 2 dots on A same-day callback · Family carer' }).waitFor()
  const results = await api(base, 'GET', `/api/rooms/${room.code}/activities/options/results`, { token: room.facilitator_key })
  check(results.callback.dots === 2 && results.callback.voters === 1, `the paper ballot is counted: ${JSON.stringify(results.callback)}`)
  await axe(host, 'the helper’s page with a paper ballot form')
  await picture(host, 'helper-ballot', { fullPage: true })
  ok('a paper ballot is typed in with the keyboard once the vote opens, and counted')

  // The projector shows the paper cards.
  const projector = watch(await (await b.newContext({ viewport: { width: 1920, height: 1080 } })).newPage(), 'projector')
  await projector.goto(room.projector_url)
  await projector.locator('table.heatmap').waitFor()
  await projector.getByText('“Waited an hour”').waitFor()
  const counted = await projector.evaluate(() => [...document.querySelectorAll('table.heatmap td')].reduce((sum, td) => sum + (parseInt(td.textContent, 10) || 0), 0))
  check(counted >= 9, `the projector's map counts the paper cards (${counted})`)
  await picture(projector, 'projector-helper-cards')
  ok('the projector shows the paper cards typed in by the table host')

  // The same page on a phone, at large text.
  const phone = watch(await (await b.newContext({ viewport: { width: 320, height: 640 } })).newPage(), 'helper-phone')
  await setLargeText(phone)
  await phone.goto(room.helper_url)
  await phone.getByRole('heading', { name: 'Typed in with this link (10)' }).waitFor()
  await axe(phone, 'the helper’s page on a phone')
  await largeText(phone, 'helper', 'the helper’s page on a phone', { from: '.helper-form' })
  ok('the helper’s page works on a phone at 320 px with large text, and reads back what the link typed in')

  // The facilitator replaces the link: the host's page says so and stops.
  await con.getByRole('button', { name: 'Replace the link…' }).click()
  await con.getByRole('button', { name: 'Yes, replace it' }).click()
  await until(con, (old) => document.querySelector('#helper-url').value !== old, room.helper_url, 'the new link in the console')
  await host.locator('main').getByText('This helper link was replaced by the facilitator').waitFor()
  await axe(host, 'the helper’s page after the link was replaced')
  const fresh = await con.locator('#helper-url').inputValue()
  const again = watch(await (await b.newContext({ viewport: { width: 1280, height: 800 } })).newPage(), 'helper-new')
  await again.goto(fresh)
  await again.getByRole('heading', { name: 'Typed in with this link (0)' }).waitFor()
  ok('replacing the link closes the old page with a clear message, and the new link works')

  check(!errors.length, `no script errors: ${errors.join('; ')}`)
  await b.close()
})
