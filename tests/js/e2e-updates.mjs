// "You said, we did", in real Chromium: the room's public page read on a phone with scripts
// off, 320 px wide at large text, with no axe violation; the phone offering the page at the end
// of the event; the projector's last screen showing the page's QR code, fitting the hall's
// screens; and the console posting, correcting and removing an update with the keyboard.
//
//   node e2e-updates.mjs --url http://127.0.0.1:PORT --admin-token TOKEN
import { options, browser, api, ok, check, axe, main, track, until, facilitator, eventTemplate, onStage, onLaptop, largeText, setLargeText, focusVisible } from './e2e-lib.mjs'

const { base, admin } = options()

main(async () => {
  const room = await api(base, 'POST', '/api/rooms', { token: admin, body: { title: 'Pledge and design event, Riverside', template_definition: eventTemplate } })
  const fac = facilitator(base, room)
  const join = async (perspective) => (await api(base, 'POST', `/api/rooms/${room.code}/participants`, { body: { profile: { perspective } } })).token
  const people = [await join('person'), await join('carer'), await join('staff')]
  let n = 0
  const say = (token, kind, fields) => api(base, 'POST', `/api/rooms/${room.code}/intents`, { token, body: { key: `p-${n++}`, kind, ...fields } })

  await fac('open_activity', { activity: 'options' })
  await say(people[0], 'set_dots', { activity: 'options', option: 'callback', dots: 2 })
  await say(people[1], 'set_dots', { activity: 'options', option: 'callback', dots: 1 })
  await say(people[2], 'set_dots', { activity: 'options', option: 'coordinator', dots: 2 })
  await say(people[2], 'set_score', { activity: 'options', option: 'callback', score: 5 })
  await fac('lock_activity', { activity: 'options' })
  await fac('reveal_activity', { activity: 'options' })
  await fac('open_activity', { activity: 'pledges' })
  await fac('set_current', { activity: 'pledges' })
  for (const [i, word] of ['Kindness', 'kindness', 'Being listened to', 'Time', 'Kindness'].entries()) {
    await say(people[i % 3], 'add_touchstone', { activity: 'pledges', word })
  }
  const hidden = await say(people[1], 'add_touchstone', { activity: 'pledges', word: 'hidden-word' })
  await fac('set_hidden', { id: hidden.id, hidden: true })
  for (const text of [
    'In January we met the practice managers of all four surgeries and shared what you told us about booking.',
    'From March, everyone who rings before 10 am is called back the same day. Thank you for the idea.',
  ]) {
    await api(base, 'POST', `/api/rooms/${room.code}/updates`, { token: room.facilitator_key, body: { text } })
  }

  const b = await browser()
  const errors = []

  // ---- The page people keep: no script, a small phone, large text. ----
  const still = await b.newContext({ viewport: { width: 320, height: 640 }, javaScriptEnabled: false })
  const kept = track(await still.newPage(), 'updates-page')
  await setLargeText(kept)
  const response = await kept.goto(`${base}/updates/${room.code}`)
  check(response.status() === 200, `the page answers ${response.status()}`)
  await kept.getByRole('heading', { level: 1, name: 'Pledge and design event, Riverside' }).waitFor()
  const read = await kept.locator('main').innerText()
  check(read.indexOf('From March') < read.indexOf('In January'), 'the newest update comes first')
  check(/Kindness \(3\)/.test(read) && !read.includes('hidden-word'), `the words, folded, without the hidden one: ${read}`)
  check(/A same-day callback: 3 dots, scored 5\.0 out of 5 on average/.test(read), `the revealed vote, most chosen first: ${read}`)
  check(await kept.evaluate(() => document.scripts.length) === 0, 'the page has no script')
  ok('the public page reads with scripts off: the updates newest first, the words people gave, the options they chose')
  await largeText(kept, 'updates-page', 'the public page at 320 px with large text')
  ok('the public page reflows at 320 px with large text, every link big enough to tap')
  const withScripts = await b.newContext({ viewport: { width: 320, height: 640 } })
  const checked = track(await withScripts.newPage(), 'updates-axe')
  await checked.goto(`${base}/updates/${room.code}`)
  await axe(checked, 'the public page')
  const missing = await checked.goto(`${base}/updates/ABCDEFGHJK`)
  check(missing.status() === 404, `an unknown room's page answers ${missing.status()}`)
  await checked.getByRole('heading', { level: 1, name: 'There is no page here' }).waitFor()
  await axe(checked, 'the page of an unknown room')
  ok('an unknown room has a clear page of its own, answered 404')

  // ---- The phone at the end of the event: the pledge activity is open. ----
  const phones = await b.newContext({ viewport: { width: 320, height: 640 } })
  await phones.addInitScript((code) => localStorage.setItem(`tp:profiled:${code}`, 'true'), room.code)
  const phone = track(await phones.newPage(), 'phone')
  phone.on('pageerror', (e) => errors.push(`phone: ${e.message}`))
  await setLargeText(phone)
  await phone.goto(`${base}/join/${room.code}`)
  await phone.getByRole('heading', { name: 'Save this page to see what happens next' }).waitFor()
  const link = phone.getByRole('link', { name: 'Open the page to keep' })
  check(await link.getAttribute('href') === `/updates/${room.code}`, 'the phone links to the public page')
  check(await phone.getByRole('link', { name: /What happens next/ }).count() === 1, 'the phone’s menu links to the page too')
  await axe(phone, 'the phone offering the page to keep')
  await largeText(phone, 'keep-page', 'the phone offering the page to keep', { from: '.keep-page' })
  ok('at the end of the event the phone offers the page to keep, and its menu links to it')

  // ---- The projector's last screen: the pledge activity closed. ----
  const projector = track(await b.newPage({ viewport: { width: 1920, height: 1080 } }), 'projector')
  projector.on('pageerror', (e) => errors.push(`projector: ${e.message}`))
  await projector.goto(room.projector_url)
  await projector.locator('.word-cloud').waitFor()
  check(await projector.locator('.keep-grid').count() === 0, 'the QR code of the page waits for the end')
  await fac('lock_activity', { activity: 'pledges' })
  await projector.locator('.keep-grid .qr').waitFor()
  await onStage(projector, 'keep', '.keep-grid .qr')
  for (const [width, height] of [[1280, 720], [1920, 1080]]) {
    await projector.setViewportSize({ width, height })
    await projector.waitForTimeout(300)
    const seen = await projector.evaluate(() => ({
      qr: document.querySelector('.keep-grid .qr').getBoundingClientRect().width,
      caption: parseFloat(getComputedStyle(document.querySelector('.keep-caption')).fontSize),
      src: document.querySelector('.keep-grid .qr').getAttribute('src'),
      loaded: document.querySelector('.keep-grid .qr').naturalWidth > 0,
    }))
    check(seen.src === `/api/rooms/${room.code}/updates-qr.svg` && seen.loaded, `the QR code of the page is drawn: ${JSON.stringify(seen)}`)
    check(seen.qr >= height * 0.45, `at ${width}x${height} the QR code is ${seen.qr} px: too small to scan from the back`)
    check(seen.caption >= height / 33.75 * 1.4, `at ${width}x${height} the caption is ${seen.caption} px`)
  }
  await axe(projector, 'the projector’s last screen')
  ok('the projector’s last screen shows the page’s QR code with a caption readable from the back, fitting 1280x720 and 1920x1080')

  // ---- The console: post, correct and remove, with the keyboard. ----
  const laptop = await b.newContext({ viewport: { width: 1280, height: 800 } })
  const con = track(await laptop.newPage(), 'console')
  con.on('pageerror', (e) => errors.push(`console: ${e.message}`))
  await con.goto(`${base}/facilitate/${room.code}#key=${room.facilitator_key}`)
  await con.getByRole('button', { name: 'After the event' }).focus()
  await con.keyboard.press('Enter')
  await con.getByRole('heading', { name: 'On the page now' }).waitFor()
  await until(con, () => document.querySelectorAll('.update-row').length === 2, null, 'the two updates in the console')
  // The tab takes focus to its panel once drawn; from there, Tab goes through it.
  await until(con, () => document.activeElement.id === 'tab-after', null, 'focus on the tab’s panel')
  for (let i = 0; i < 8 && !(await con.evaluate(() => document.activeElement.id === 'update-text')); i++) await con.keyboard.press('Tab')
  check(await con.evaluate(() => document.activeElement.id === 'update-text'), 'the new update’s field is reached with Tab')
  await focusVisible(con, 'the new update’s field')
  await con.keyboard.type('In May the new callback line opened: 0 complaints about booking so far.')
  await con.keyboard.press('Tab')
  await focusVisible(con, 'the post button')
  await con.keyboard.press('Enter')
  await until(con, () => document.querySelectorAll('.update-row').length === 3, null, 'the posted update in the list')
  await until(con, () => (document.getElementById('notice') || {}).textContent === 'Posted to the public page.', null, 'the console to say it posted')
  await onLaptop(con, 'updates', 'the console’s updates')
  const id = await con.evaluate(() => document.querySelector('.update-row button[id^=correct-]').id)
  await con.locator(`#${id}`).focus()
  await con.keyboard.press('Enter')
  await until(con, () => document.activeElement.id.startsWith('edit-'), null, 'focus in the correction')
  await con.keyboard.press('End')
  await con.keyboard.type(' (Corrected: since it opened.)')
  await con.keyboard.press('Tab')
  await con.keyboard.press('Enter')
  await until(con, () => (document.getElementById('notice') || {}).textContent === 'Corrected on the public page.', null, 'the console to say it corrected')
  const page = await (await fetch(`${base}/updates/${room.code}`)).text()
  check(page.includes('(Corrected: since it opened.)') && page.indexOf('In May') < page.indexOf('From March'), 'the public page shows the correction, newest first')
  const removeId = id.replace('correct-', 'remove-')
  await con.locator(`#${removeId}`).focus()
  await con.keyboard.press('Enter')
  await until(con, () => document.activeElement.id.startsWith('remove-sure-'), null, 'focus on the confirmation')
  await con.keyboard.press('Enter')
  await until(con, () => document.querySelectorAll('.update-row').length === 2, null, 'the update to leave the list')
  check(!(await (await fetch(`${base}/updates/${room.code}`)).text()).includes('In May'), 'the removed update leaves the public page')
  await axe(con, 'the console after removing an update')
  ok('the console posts, corrects and removes an update with the keyboard alone, and the public page follows')

  check(!errors.length, `no script errors:\n${errors.join('\n')}`)
  await b.close()
})
