// One phone, two tabs of the same room, no network: each tab queues a card,
// one tab is closed before the network returns, and the other sends both.
// The outbox is shared through local storage; neither tab may write back a
// list without the other's card.
//
//   node e2e-tabs.mjs --url http://127.0.0.1:PORT --admin-token TOKEN
import { options, browser, api, ok, check, until, main, track, facilitator, eventTemplate } from './e2e-lib.mjs'

const { base, admin } = options()

main(async () => {
  const room = await api(base, 'POST', '/api/rooms', { token: admin, body: { title: 'Two tabs', template_definition: eventTemplate } })
  const fac = facilitator(base, room)
  const b = await browser()
  const errors = []
  const context = await b.newContext({ viewport: { width: 360, height: 760 } })
  const open = async (name) => {
    const page = track(await context.newPage(), name)
    page.on('pageerror', (e) => errors.push(`${name}: ${e.message}`))
    await page.goto(`${base}/join/${room.code}`)
    return page
  }
  const first = await open('first-tab')
  await first.getByRole('button', { name: 'Skip these questions' }).click()
  await first.getByRole('heading', { name: /Welcome to/ }).waitFor()
  await fac('open_activity', { activity: 'map' })
  await fac('set_current', { activity: 'map' })
  await first.locator('#activity-heading', { hasText: 'How care feels today' }).waitFor()
  // The same phone (same storage, same token) in a second tab.
  const second = await open('second-tab')
  await second.locator('#activity-heading', { hasText: 'How care feels today' }).waitFor()

  const placeCard = async (page, touchpoint, emotion, note) => {
    await page.getByLabel(touchpoint).click()
    await page.getByRole('radio', { name: emotion, exact: true }).click()
    await page.getByLabel('Add a short note').fill(note)
    await page.getByRole('button', { name: 'Place my card' }).click()
  }
  await context.setOffline(true)
  await placeCard(first, 'Booking an appointment', 'Anxious', 'Written in the first tab')
  await first.getByText('1 change not sent yet').waitFor()
  await placeCard(second, 'Results', 'Frustrated', 'Written in the second tab')
  await second.getByText('2 changes not sent yet').waitFor()
  await first.getByText('2 changes not sent yet').waitFor()
  ok('two tabs of one phone share the outbox: each shows both cards waiting')

  await second.close()
  await context.setOffline(false)
  await first.evaluate(() => window.dispatchEvent(new Event('online')))
  await until(first, () => !document.body.innerText.includes('not sent yet'), null, 'both cards to be sent', 40000)
  const exported = await api(base, 'GET', `/api/rooms/${room.code}/export.json`, { token: room.facilitator_key })
  const notes = JSON.stringify(exported)
  check(notes.includes('Written in the first tab') && notes.includes('Written in the second tab'), 'both cards reached the server')
  ok('a tab closed with its card still queued loses nothing: the other tab sends it')
  check(!errors.length, `script errors: ${errors.join('; ')}`)
  await b.close()
})
