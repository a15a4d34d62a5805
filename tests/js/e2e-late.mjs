// A card written offline that arrives after its activity closed: the phone
// loses its network (Chrome DevTools Protocol network emulation), queues a
// card, the facilitator closes the map, the phone comes back. The card is in
// the record marked late, the phone says so in words, the console lists it,
// the facilitator shows it, and the projector displays it. A dot sent the same
// way after the vote closed is not counted, and the phone says so. The phone
// is 320 px wide at large text, the console a laptop, the projector checked at
// three sizes; each view is pictured in tests/artifacts/hall.
//
//   node e2e-late.mjs --url http://127.0.0.1:PORT --admin-token TOKEN
import { options, browser, api, ok, check, axe, until, main, track, facilitator, eventTemplate, onStage, onLaptop, largeText, setLargeText } from './e2e-lib.mjs'

const { base, admin } = options()
const NOTE = 'Written on the bus home'

main(async () => {
  const room = await api(base, 'POST', '/api/rooms', { token: admin, body: { title: 'Late cards', template_definition: eventTemplate } })
  const fac = facilitator(base, room)
  const b = await browser()
  const errors = []
  const watch = (page, name) => { track(page, name); page.on('pageerror', (e) => errors.push(`${name}: ${e.message}`)); return page }

  const phoneContext = await b.newContext({ viewport: { width: 320, height: 640 } })
  const phone = watch(await phoneContext.newPage(), 'phone')
  await setLargeText(phone)
  await phone.goto(`${base}/join/${room.code}`)
  await phone.getByRole('button', { name: 'Skip these questions' }).click()
  await phone.getByRole('heading', { name: /Welcome to/ }).waitFor()
  await fac('open_activity', { activity: 'map' })
  await fac('set_current', { activity: 'map' })
  await phone.locator('#activity-heading', { hasText: 'How care feels today' }).waitFor()
  const projector = watch(await (await b.newContext({ viewport: { width: 1920, height: 1080 } })).newPage(), 'projector')
  await projector.goto(room.projector_url)
  await projector.getByText('Think of Margaret and David').waitFor()

  // The phone loses its network, as on a train: the card waits in the outbox.
  const cdp = await phoneContext.newCDPSession(phone)
  await cdp.send('Network.enable')
  const network = (offline) => cdp.send('Network.emulateNetworkConditions', { offline, latency: 0, downloadThroughput: -1, uploadThroughput: -1 })
  await phone.getByLabel('Booking an appointment').click()
  await phone.getByRole('radio', { name: 'Anxious', exact: true }).click()
  await phone.getByLabel('Add a short note').fill(NOTE)
  await network(true)
  await phone.getByRole('button', { name: 'Place my card' }).click()
  await phone.getByText('1 change not sent yet').waitFor()
  ok('offline: the card waits on the phone')

  // Meanwhile the facilitator closes the map; then the phone is back.
  await fac('lock_activity', { activity: 'map' })
  await projector.getByText('Closed').first().waitFor()
  await network(false)
  await phone.evaluate(() => window.dispatchEvent(new Event('online')))
  await phone.locator('#notice', { hasText: 'Your card “Anxious” at “Booking an appointment” arrived after the activity closed; the facilitator can still show it.' }).waitFor({ timeout: 40000 })
  await phone.getByText('This activity is closed now').waitFor()
  await axe(phone, 'the phone told its card arrived late')
  await largeText(phone, 'late', 'the phone told its card arrived late')
  ok('back online: the phone says the card arrived after the activity closed, and that the facilitator can still show it')

  const exported = await api(base, 'GET', `/api/rooms/${room.code}/export.json`, { token: room.facilitator_key })
  const card = exported.cards.find((c) => c.note === NOTE)
  check(card && card.late === true && card.hidden === true, `the card is in the record, late and not shown: ${JSON.stringify(card)}`)
  check(!(await projector.getByText(NOTE).count()), 'the late card is not on the projector before the facilitator shows it')
  ok('the card is in the record marked late, and not on the projector')

  const conContext = await b.newContext({ viewport: { width: 1366, height: 900 } })
  const con = watch(await conContext.newPage(), 'console')
  await con.goto(`${base}/facilitate/${room.code}#key=${room.facilitator_key}`)
  await con.getByRole('heading', { name: 'Arrived after the close' }).waitFor()
  const item = con.locator('.late-item', { hasText: NOTE })
  await item.getByText('Late, not shown:').waitFor()
  await axe(con, 'the console listing a late card')
  await onLaptop(con, 'late', 'the console listing a late card')
  ok('the console lists the late card')

  await item.getByRole('button', { name: 'Show on the board' }).click()
  await item.getByText('Late, shown:').waitFor()
  await until(projector, (note) => document.body.innerText.includes(note), NOTE, 'the late card on the projector')
  await onStage(projector, 'map-late', 'table.heatmap', 'Closed')
  ok('the facilitator shows the late card and the projector displays it')

  // A ballot is not kept aside: a dot that arrives after the vote closed is not counted, and the phone says so.
  await fac('open_activity', { activity: 'options' })
  await fac('set_current', { activity: 'options' })
  await phone.locator('#activity-heading', { hasText: 'The options for change' }).waitFor()
  await network(true)
  await phone.getByRole('button', { name: 'Put a dot on “A same-day callback”' }).click()
  await phone.getByText('1 change not sent yet').waitFor()
  await fac('lock_activity', { activity: 'options' })
  await network(false)
  await phone.evaluate(() => window.dispatchEvent(new Event('online')))
  await phone.locator('.notice', { hasText: 'Not counted: 1 dot on “A same-day callback”. Voting closed before it arrived.' }).waitFor({ timeout: 40000 })
  const results = await api(base, 'GET', `/api/rooms/${room.code}/activities/options/results`, { token: room.facilitator_key })
  check(!results.callback || results.callback.dots === 0, `the late dot was counted: ${JSON.stringify(results)}`)
  await axe(phone, 'the phone told its dot came too late')
  await largeText(phone, 'not-counted', 'the phone told its dot came too late')
  ok('a dot that arrives after the vote closed is not counted, and the phone says so')
  ok('the phone’s late and not-counted answers hold at large text; the console’s late list fits a laptop; the projector with a late card fits 720p, 1080p and 4K')

  check(!errors.length, `script errors: ${errors.join('; ')}`)
  await b.close()
})
