// Pledge follow-ups in real Chromium: a pledger chooses when to be contacted
// and leaves a contact; their phone (320 px, large text) says a follow-up is
// planned and when; the facilitator's console lists the follow-ups with their
// contacts, downloads them as CSV for a mail merge, and moves one through its
// statuses with the keyboard alone (done asks to be confirmed, and deletes the
// contact); the pledger withdraws theirs from the phone; the audit trail says
// who read and deleted contacts, and never shows one. The console is checked
// on a laptop at 1280x720 and 1920x1080; each view is pictured in
// tests/artifacts/hall.
//
//   node e2e-follow-ups.mjs --url http://127.0.0.1:PORT --admin-token TOKEN
import { readFileSync } from 'node:fs'
import { options, browser, api, ok, check, axe, until, main, track, facilitator, eventTemplate, onLaptop, largeText, setLargeText } from './e2e-lib.mjs'

const { base, admin } = options()
const PHONE_PLEDGE = 'I will ask every carer I meet how they are doing.'
const OTHER_PLEDGE = 'I will put the carers group on our waiting-room screen.'

/** The date `months` from today as the phone and console write it (3 March 2027). */
function inMonths(months) {
  const now = new Date()
  const month = now.getUTCMonth() + months
  const last = new Date(Date.UTC(now.getUTCFullYear(), month + 1, 0)).getUTCDate()
  const due = new Date(Date.UTC(now.getUTCFullYear(), month, Math.min(now.getUTCDate(), last)))
  return due.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' })
}

main(async () => {
  const room = await api(base, 'POST', '/api/rooms', { token: admin, body: { title: 'Pledge event', template_definition: eventTemplate } })
  const fac = facilitator(base, room)
  await fac('open_activity', { activity: 'pledges' })
  await fac('set_current', { activity: 'pledges' })
  const b = await browser()
  const errors = []
  const watch = (page, name) => { track(page, name); page.on('pageerror', (e) => errors.push(`${name}: ${e.message}`)); return page }

  // A pledger on a phone asks to hear from the organisers in a month.
  const phone = watch(await (await b.newContext({ viewport: { width: 320, height: 640 } })).newPage(), 'phone')
  await setLargeText(phone)
  await phone.goto(`${base}/join/${room.code}`)
  await phone.getByRole('button', { name: 'Skip these questions' }).click()
  await phone.locator('#activity-heading', { hasText: 'My pledge' }).waitFor()
  await phone.getByRole('textbox', { name: 'My pledge' }).fill(PHONE_PLEDGE)
  await phone.getByLabel('I would like the organisers to ask me about my pledge later').check()
  check(await phone.getByRole('radio', { name: /In 3 months/ }).isChecked(), 'three months is chosen unless the pledger chooses')
  await phone.getByRole('radio', { name: `In 1 month, around ${inMonths(1)}` }).check()
  await phone.getByLabel('Email or phone number').fill('carer-pledge@example.org')
  await phone.getByLabel('I agree that the organisers keep this contact').check()
  await axe(phone, 'the phone: a pledge with a follow-up in a month')
  await largeText(phone, 'pledge-follow-up', 'the phone: a pledge with a follow-up in a month', { from: '.pledge-form' })
  await phone.getByRole('button', { name: 'Make my pledge' }).click()
  await phone.locator('#notice', { hasText: 'Saved: your pledge' }).waitFor()
  const planned = `Follow-up planned: the organisers will contact you around ${inMonths(1)}.`
  await phone.getByText(planned).waitFor()
  // What the server says (`/me`), not only what the phone remembers.
  await phone.reload()
  await phone.getByText(planned).waitFor()
  await axe(phone, 'the phone: a pledge with its follow-up planned')
  await largeText(phone, 'follow-up-planned', 'the phone: a pledge with its follow-up planned', { from: '.my-list' })
  ok('the pledger chooses when to be contacted, and the phone says when the follow-up is planned')

  // Another pledger, by the API, with the default three months.
  const other = (await api(base, 'POST', `/api/rooms/${room.code}/participants`, { body: {} })).token
  await api(base, 'POST', `/api/rooms/${room.code}/intents`, {
    token: other,
    body: { key: `other-${Math.random()}`, kind: 'add_pledge', activity: 'pledges', text: OTHER_PLEDGE, contact: '07700 900456', contact_consent: true },
  })

  // The facilitator opens the follow-ups with the keyboard.
  const con = watch(await (await b.newContext({ viewport: { width: 1280, height: 720 }, acceptDownloads: true })).newPage(), 'console')
  await con.goto(room.facilitator_url)
  await con.getByRole('button', { name: 'Follow-ups' }).focus()
  await con.keyboard.press('Enter')
  await con.getByRole('heading', { name: 'Pledge follow-ups' }).waitFor()
  const mine = con.locator('.follow-up', { hasText: PHONE_PLEDGE })
  const theirs = con.locator('.follow-up', { hasText: OTHER_PLEDGE })
  await mine.getByText('carer-pledge@example.org').waitFor()
  await theirs.getByText('07700 900456').waitFor()
  check((await mine.innerText()).includes(inMonths(1)) && (await theirs.innerText()).includes(inMonths(3)), 'each follow-up shows the date its pledger asked for')
  await onLaptop(con, 'follow-ups', 'the console: pledge follow-ups with their contacts')
  ok('the console lists each follow-up with its contact, the date asked for and its status, and fits a laptop')

  const [download] = await Promise.all([con.waitForEvent('download'), con.getByRole('button', { name: 'Download for a mail merge (CSV)' }).click()])
  const csv = readFileSync(await download.path(), 'utf8')
  check(download.suggestedFilename() === `${room.code}-follow-ups.csv`, `the file is named for the room: ${download.suggestedFilename()}`)
  check(csv.startsWith('\ufeffid,pledge,name,organisation,contact,due,status\r\n'), `the CSV starts with a byte order mark and its header: ${JSON.stringify(csv.slice(0, 60))}`)
  check(csv.includes('carer-pledge@example.org') && csv.includes('07700 900456'), 'the CSV holds both contacts')
  ok('the follow-ups download as CSV for a mail merge')

  // Keyboard only: contacted, then done, which asks first and deletes the contact.
  await theirs.getByRole('button', { name: /^Mark contacted/ }).focus()
  await con.keyboard.press('Enter')
  await theirs.getByText('Contacted', { exact: true }).waitFor()
  // Focus stays on the follow-up just changed; the next Tab reaches its first button.
  await until(con, () => !!document.activeElement && document.activeElement.id.startsWith('follow-up-'), null, 'focus on the follow-up')
  await con.keyboard.press('Tab')
  check(await con.evaluate(() => document.activeElement.textContent === 'Done'), 'Tab reaches “Done”')
  await con.keyboard.press('Enter')
  await theirs.getByText('Mark done and delete the contact?').waitFor()
  await until(con, () => !!document.activeElement && document.activeElement.id.startsWith('confirm-'), null, 'focus on the question')
  await axe(con, 'the console: confirming that a follow-up is done')
  await con.keyboard.press('Tab')
  await con.keyboard.press('Enter')
  await theirs.getByText('Deleted').waitFor()
  await theirs.getByText('Done', { exact: true }).waitFor()
  check(!(await con.getByText('07700 900456').count()), 'the contact is gone from the console')
  ok('keyboard only: a follow-up is marked contacted, then done, which asks first and deletes the contact')

  // The pledger withdraws theirs from the phone.
  await phone.getByRole('button', { name: 'Withdraw my follow-up and delete my contact' }).click()
  await phone.locator('#notice', { hasText: 'Saved: withdrawing your follow-up and deleting your contact' }).waitFor()
  check(!(await phone.getByText('Follow-up planned').count()), 'the phone no longer says a follow-up is planned')
  await phone.getByText(PHONE_PLEDGE).first().waitFor()
  ok('the pledger withdraws the follow-up from the phone; the pledge stays')

  await con.getByRole('button', { name: 'Read the list again' }).click()
  await mine.waitFor({ state: 'detached' })
  const trail = await con.locator('.contact-audit').innerText()
  for (const words of ['read the list (2 contacts), by the facilitator key', 'downloaded the CSV (2 contacts), by the facilitator key',
    'marked done or declined: contact deleted (1 contact), by the facilitator key',
    'withdrew a follow-up from the phone: contact deleted (1 contact), by the pledger']) {
    check(trail.includes(words), `the audit trail says “${words}”: ${trail}`)
  }
  check(!trail.includes('@') && !trail.includes('07700'), 'the audit trail shows no contact')
  await onLaptop(con, 'follow-ups-audit', 'the console: a closed follow-up and the audit trail')
  ok('the audit trail lists every read and deletion of contacts, by which key and how many, never a contact')

  const exported = JSON.stringify(await api(base, 'GET', `/api/rooms/${room.code}/export.json`, { token: room.facilitator_key }))
  check(!exported.includes('carer-pledge') && !exported.includes('07700'), 'no contact in the analysts’ export')
  check(!errors.length, `script errors: ${errors.join('; ')}`)
  ok('no script errors in any page')
})
