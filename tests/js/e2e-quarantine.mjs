// A room whose stored data is damaged, in real Chromium: the facilitator's
// console says the room is closed for repair (not a network fault), and the
// front page lists it for whoever enters the admin token, with the command
// that repairs it. The Rust side damaged the room before starting this.
//
//   node e2e-quarantine.mjs --url http://127.0.0.1:PORT --admin-token TOKEN --room CODE --key FACILITATOR_KEY
import { parseArgs } from 'node:util'
import { browser, ok, check, axe, until, main, track, shot } from './e2e-lib.mjs'

const { values } = parseArgs({
  options: { url: { type: 'string' }, 'admin-token': { type: 'string' }, room: { type: 'string' }, key: { type: 'string' } },
})
const base = values.url.replace(/\/$/, '')
const { room, key } = values
const admin = values['admin-token']

main(async () => {
  const b = await browser()
  const page = track(await b.newPage({ viewport: { width: 1280, height: 800 } }), 'quarantine')

  await page.goto(`${base}/facilitate/${room}#key=${encodeURIComponent(key)}`)
  await until(page, () => /closed for repair/.test((document.querySelector('main [role=alert]') || {}).textContent || ''), null, 'the console to say the room is closed')
  const said = await page.locator('main [role=alert]').innerText()
  check(said.includes(`touchpoint repair ${room}`), `the console names the repair: ${said}`)
  ok('the console says the room is closed for repair, and how it is repaired')
  await axe(page, 'the console of a quarantined room')
  await shot(page, 'console-quarantined')

  await page.goto(`${base}/`)
  await page.locator('summary').click()
  await page.locator('#admin').fill(admin)
  await page.getByRole('button', { name: 'Check for damaged rooms' }).click()
  await until(page, (code) => [...document.querySelectorAll('ul.quarantined li')].some((li) => li.textContent.includes(code)), room, 'the damaged room in the list')
  const listed = await page.locator('ul.quarantined').innerText()
  check(/checksum mismatch/.test(listed), `the list says what is damaged: ${listed}`)
  ok('the front page lists the damaged room for the admin, with what is damaged')
  await axe(page, 'the front page with the list of damaged rooms')
  await shot(page, 'landing-quarantined')
  await b.close()
})
