// A whole event in real Chromium: a facilitator at the console, a projector
// and several phones (one remote, one that loses its connection and one whose
// intents cannot reach the server across a reload) run an emotional map, a
// vote with reveal and a pledge round, and the projector shows the right
// result. (Moderation is driven through the API here; e2e-console.mjs drives
// it, and the rest of the console, through the page.)
//
//   node e2e-event.mjs --url http://127.0.0.1:PORT --admin-token TOKEN
import { options, browser, api, facilitator, ok, check, shot, until, main, track, eventTemplate as template } from './e2e-lib.mjs'

const { base, admin } = options()

main(async () => {
  const room = await api(base, 'POST', '/api/rooms', { token: admin, body: { title: 'Co-design 1: North locality', template_definition: template } })
  const fac = facilitator(base, room)
  const b = await browser()
  const errors = []
  const newPhone = async (name, width = 360) => {
    const context = await b.newContext({ viewport: { width, height: 760 } })
    const page = track(await context.newPage(), name)
    page.on('pageerror', (e) => errors.push(`${name}: ${e.message}`))
    page.on('dialog', (d) => d.accept())
    return { context, page }
  }

  // The projector, as the facilitator opens it.
  const projector = track(await b.newPage({ viewport: { width: 1920, height: 1080 } }), 'projector')
  projector.on('pageerror', (e) => errors.push(`projector: ${e.message}`))
  await projector.goto(room.projector_url)
  await projector.getByText('Room code').first().waitFor()
  check(await projector.locator('.personas').count() === 0, 'no personas in the lobby')
  // The image may still be on its way on a busy machine: wait for it, then it must have drawn.
  await until(projector, () => { const img = document.querySelector('img.qr'); return img && img.complete }, null, 'the QR code image to load')
  check(await projector.locator('img.qr').evaluate((img) => img.naturalWidth > 0), 'the projector shows the QR code')
  check((await projector.locator('.room-code').first().innerText()).replace(/\s/g, '') === room.code, 'the projector shows the room code')
  ok('the projector shows the QR code and the room code in the lobby')

  // The facilitator runs the event from the console, on a laptop.
  const consoleContext = await b.newContext({ viewport: { width: 1366, height: 900 } })
  const con = track(await consoleContext.newPage(), 'console')
  con.on('pageerror', (e) => errors.push(`console: ${e.message}`))
  await con.goto(`${base}/facilitate/${room.code}#key=${room.facilitator_key}`)
  await con.getByRole('heading', { name: 'Activities' }).waitFor()
  const row = (title) => con.locator('.activity-row', { hasText: title })

  // Three phones in the room and one remote attendee join and describe themselves.
  const ann = await newPhone('ann')
  const gp = await newPhone('gp')
  const carer = await newPhone('carer')
  const remote = await newPhone('remote', 1280)
  const join = async ({ page }, perspective, role, path = 'join') => {
    await page.goto(`${base}/${path}/${room.code}`)
    await page.getByRole('heading', { name: 'About you' }).waitFor()
    if (perspective) {
      await page.getByLabel(perspective).check()
      if (role) await page.getByLabel(role, { exact: true }).check()
      await page.getByRole('button', { name: 'Save and continue' }).click()
    } else {
      await page.getByRole('button', { name: 'Skip these questions' }).click()
    }
    await page.getByRole('heading', { name: /Welcome to/ }).waitFor()
  }
  await join(ann, 'Person using services')
  await shot(ann.page, 'phone-lobby', { fullPage: true })
  await join(gp, 'Member of staff', 'GP')
  await join(carer, 'Family carer')
  await join(remote, 'Person using services', null, 'remote')
  await until(ann.page, () => document.body.innerText.includes('You joined as: Person using services'), null, 'the profile to be saved')
  ok('four participants joined, three of them with a perspective, none with a name')
  // Four people: every count of them is under the threshold, so no screen shows one (ROOM-DOCUMENT.md).
  await until(projector, () => /Fewer\s+than 8 people have joined/.test(document.body.innerText), null, 'the projector to say fewer than 8 joined')
  const said = await projector.locator('.participation').innerText()
  check(!/\b[1-7]\b/.test(said), `the projector shows no count of 1 to 7 people: ${JSON.stringify(said)}`)
  await shot(projector, 'projector-lobby')
  ok('the projector counts the room live in words: fewer than 8 people have joined, and no count of 1 to 7')

  // The emotional map.
  await con.getByRole('button', { name: 'Start: How care feels today' }).click()
  for (const p of [ann, gp, carer, remote]) await p.page.locator('#activity-heading', { hasText: 'How care feels today' }).waitFor()
  await projector.getByText('Think of Margaret and David').waitFor()
  await ann.page.getByText('Think of Margaret and David').waitFor()
  ok('every phone follows the facilitator to the emotional map')

  const placeCard = async (page, touchpoint, emotion, note) => {
    // These choices fold away once made (the next step takes focus): click, not check.
    await page.getByLabel(touchpoint).click()
    await page.getByRole('radio', { name: emotion, exact: true }).click()
    if (note) await page.getByLabel('Add a short note').fill(note)
    await page.getByRole('button', { name: 'Place my card' }).click()
  }
  await placeCard(ann.page, 'Booking an appointment', 'Anxious', 'On hold for 40 minutes')
  await ann.page.locator('#notice', { hasText: 'Saved: your card “Anxious” at “Booking an appointment”' }).waitFor()
  ok('a card is placed and the phone says saved once the server has it')
  await shot(ann.page, 'phone-map-saved', { fullPage: true })

  await placeCard(gp.page, 'Booking an appointment', 'Frustrated')
  await gp.page.locator('#notice', { hasText: 'Saved: your card “Frustrated”' }).waitFor()

  // The carer's phone loses its connection, places a card, and comes back.
  // (Its offline shell is in place once the service worker is ready.)
  await carer.page.evaluate(() => navigator.serviceWorker.ready.then(() => true))
  await carer.context.setOffline(true)
  await placeCard(carer.page, 'Seeing the GP', 'Reassured', 'The GP listened to us both')
  await carer.page.getByText(/Not sent yet: your card “Reassured”/).first().waitFor()
  await carer.page.getByText('1 change not sent yet').waitFor()
  await shot(carer.page, 'phone-offline', { fullPage: true })
  const queued = await carer.page.evaluate((code) => JSON.parse(localStorage.getItem(`tp:outbox:${code}`) || '[]'), room.code)
  check(queued.length === 1 && queued[0].body.kind === 'add_card' && queued[0].key, 'the offline card waits in local storage with its key')
  ok('offline: the card waits on the phone with its intent key, and the phone says it is not sent yet')
  // Venue Wi-Fi gone and the page reloaded: the offline shell opens it, with the room as it was.
  await carer.page.reload()
  await carer.page.getByText('1 change not sent yet').waitFor()
  await carer.page.getByLabel('Seeing the GP').waitFor()
  await carer.page.getByText('No connection').first().waitFor()
  await shot(carer.page, 'phone-offline-reloaded', { fullPage: true })
  ok('offline: a reload opens the phone from its offline shell, with the board as it last saw it and the card still waiting')
  await carer.context.setOffline(false)
  await carer.page.locator('#notice', { hasText: 'Saved: your card “Reassured” at “Seeing the GP”' }).waitFor({ timeout: 20000 })
  await until(carer.page, () => document.querySelector('.pill.online'), null, 'the phone to reconnect', 40000)
  ok('back online: the card is sent by itself and the phone reconnects')

  // A blank card: the carer's own word.
  await carer.page.getByLabel('Results').click()
  await carer.page.getByRole('radio', { name: 'None of these: my own word' }).click()
  await carer.page.getByLabel('Your word for how it felt').fill('Rushed')
  await carer.page.getByRole('button', { name: 'Place my card' }).click()
  await carer.page.locator('#notice', { hasText: 'Saved: your card “Rushed” at “Results”' }).waitFor()
  ok('a blank card carries the person’s own word')

  // The remote attendee's intents cannot reach the server; they reload; nothing is lost.
  await remote.page.route('**/intents', (route) => route.abort('internetdisconnected'))
  await placeCard(remote.page, 'Results', 'OK', 'Waited two weeks')
  await remote.page.getByText('1 change not sent yet').waitFor()
  await remote.page.reload()
  await remote.page.getByText('1 change not sent yet').waitFor()
  await remote.page.unroute('**/intents')
  await remote.page.evaluate(() => window.dispatchEvent(new Event('online')))
  await until(remote.page, () => !document.body.innerText.includes('not sent yet'), null, 'the queued card to be sent after the reload', 40000)
  ok('a reload with a card not yet sent keeps it, and sends it when the server can be reached')

  // The projector's map: touchpoints by feeling, people and staff side by side.
  const cell = (tp, side, emotion) => projector.evaluate(([tp, side, emotion]) => {
    const table = document.querySelector('table.heatmap')
    if (!table) return null
    const heads = [...table.querySelectorAll('thead tr:nth-child(2) th')].map((th) => th.textContent)
    const tps = [...table.querySelectorAll('thead th.tp')].map((th) => th.textContent)
    const column = tps.indexOf(tp) * (heads.length / tps.length) + heads.slice(0, heads.length / tps.length).indexOf(side)
    const row = [...table.querySelectorAll('tbody tr')].find((tr) => tr.querySelector('th').textContent.includes(emotion))
    return row ? row.querySelectorAll('td')[column].textContent : null
  }, [tp, side, emotion])
  await until(projector, () => document.querySelectorAll('table.heatmap td.hot').length >= 5, null, 'five cards on the projector map')
  check(await cell('Results', 'People', '“Rushed”') === '1', 'the own word has its own row on the map')
  check(await cell('Booking an appointment', 'People', 'Anxious') === '1', 'Ann\'s card is counted for people at Booking')
  check(await cell('Booking an appointment', 'Staff', 'Frustrated') === '1', 'the GP\'s card is counted for staff at Booking')
  check(await cell('Seeing the GP', 'People', 'Reassured') === '1', 'the carer\'s offline card reached the map')
  check(await cell('Results', 'People', 'OK') === '1', 'the remote card reached the map')
  check((await cell('Booking an appointment', 'Staff', 'Anxious')).endsWith('none'), 'empty cells say none')
  await projector.getByText('“On hold for 40 minutes”').waitFor()
  await shot(projector, 'projector-map')
  ok('the projector map counts each card at its touchpoint, people and staff side by side, with the notes')

  // Moderation: a hidden card leaves the board.
  const me = await api(base, 'GET', `/api/rooms/${room.code}/me`, { token: await ann.page.evaluate((c) => JSON.parse(localStorage.getItem(`tp:token:${c}`)), room.code) })
  const annCard = me.contributions.find((c) => c.collection === 'cards').id
  await fac('set_hidden', { id: annCard, hidden: true })
  await until(projector, () => !document.body.innerText.includes('On hold for 40 minutes'), null, 'the hidden card to leave the projector')
  await ann.page.getByRole('button', { name: 'My contributions' }).click()
  await ann.page.getByText('The facilitator has hidden this from the board.').waitFor()
  await fac('set_hidden', { id: annCard, hidden: false })
  ok('a hidden card disappears from the projector; its author is told')

  // Edit and withdraw from "My contributions".
  await gp.page.getByRole('button', { name: 'My contributions' }).click()
  await gp.page.getByRole('button', { name: 'Take back emotion card' }).click()
  await gp.page.locator('#notice', { hasText: 'Saved: taking back emotion card' }).waitFor()
  await until(projector, () => !document.querySelector('table.heatmap tr.negative th')?.parentElement?.textContent.includes('Frustrated') || !document.body.innerText.includes('Frustrated'), null, 'the withdrawn card to leave the map')
  await placeCard(await (async () => { await gp.page.getByRole('button', { name: 'Now' }).click(); return gp.page })(), 'Booking an appointment', 'Frustrated')
  await gp.page.locator('#notice', { hasText: 'Saved: your card “Frustrated”' }).waitFor()
  ok('a participant takes back a card and places it again')
  await row('How care feels today').getByRole('button', { name: 'Close' }).click()
  await ann.page.getByRole('button', { name: 'Now' }).click()
  await ann.page.getByText('This activity is closed now').waitFor()
  ok('locking the map closes it on the phones')

  // The vote.
  await con.getByRole('button', { name: 'Next: The options for change' }).click()
  for (const p of [ann, gp, carer]) await p.page.locator('#activity-heading', { hasText: 'The options for change' }).waitFor()
  const dot = (page, option) => page.getByRole('button', { name: `Put a dot on “${option}”` }).click()
  await ann.page.getByText('You have 3 of 3 dots left').waitFor()
  await dot(ann.page, 'A same-day callback')
  await dot(ann.page, 'A same-day callback')
  await ann.page.getByText('You have 1 of 3 dots left').waitFor()
  check(await ann.page.getByRole('button', { name: 'Put a dot on “A same-day callback”' }).isDisabled(), 'at most 2 dots on one option')
  await dot(ann.page, 'A named care coordinator')
  await ann.page.getByText('You have 0 of 3 dots left').waitFor()
  check(await ann.page.getByRole('button', { name: 'Put a dot on “Results explained to you”' }).isDisabled(), 'no dots left: no more can be placed')
  // A change of mind.
  await ann.page.getByRole('button', { name: 'Take a dot off “A named care coordinator”' }).click()
  await dot(ann.page, 'Results explained to you')
  await ann.page.getByRole('group', { name: /Your score for “A same-day callback”/ }).getByText('5').click()
  await until(ann.page, () => !document.body.innerText.includes('not sent yet') && !document.body.innerText.includes('(sending)'), null, 'the votes to be saved')
  await shot(ann.page, 'phone-vote', { fullPage: true })
  await dot(gp.page, 'A same-day callback')
  await dot(gp.page, 'Results explained to you')
  await gp.page.getByLabel('How could “A same-day callback” be better?').fill('Say roughly when the call will come')
  await gp.page.getByRole('button', { name: 'Send comment' }).first().click()
  await gp.page.locator('#notice', { hasText: 'Saved: your comment on “A same-day callback”' }).waitFor()
  await dot(carer.page, 'A same-day callback')
  await until(gp.page, () => !document.body.innerText.includes('not sent yet') && !document.body.innerText.includes('(sending)'), null, 'the GP votes to be saved')
  await until(carer.page, () => !document.body.innerText.includes('not sent yet') && !document.body.innerText.includes('(sending)'), null, 'the carer votes to be saved')
  ok('dots show the remaining budget, respect the per-option limit, and can be moved until the vote locks')

  check(!(await projector.locator('.results').count()), 'no results on the projector before the reveal')
  await projector.getByText('The results stay hidden').waitFor()
  await shot(projector, 'projector-vote-hidden')
  ok('the projector hides vote results until they are revealed')
  await row('The options for change').getByRole('button', { name: 'Close' }).click()
  await row('The options for change').getByText('Closed').waitFor()
  await row('The options for change').getByRole('button', { name: 'Reveal results' }).click()
  await projector.locator('.results').waitFor()
  const ranking = await projector.locator('.result').allInnerTexts()
  check(ranking[0].includes('A same-day callback') && ranking[0].includes('4 dots from 3 people') && ranking[0].includes('average score 5'), `the winner is the callback with 4 dots: ${ranking[0]}`)
  check(ranking[1].includes('Results explained to you') && ranking[1].includes('2 dots from 2 people'), `second: results explained: ${ranking[1]}`)
  check(ranking[2].includes('A named care coordinator') && ranking[2].includes('0 dots'), `third: coordinator: ${ranking[2]}`)
  await shot(projector, 'projector-vote-results')
  await ann.page.locator('.results').waitFor()
  ok('after the reveal the projector and the phones show the ranking: callback 4 dots, results 2, coordinator 0')
  await shot(con, 'console-vote-revealed', { fullPage: true })

  // The pledge round.
  await con.getByRole('button', { name: 'Next: My pledge' }).click()
  await ann.page.locator('#activity-heading', { hasText: 'My pledge' }).waitFor()
  await ann.page.getByRole('textbox', { name: 'My pledge' }).fill('I will tell my neighbours about the carers group.')
  await ann.page.getByLabel('Show my name with my pledge').check()
  await ann.page.getByLabel('My name, as it will be shown').fill('Ann')
  await ann.page.getByRole('button', { name: 'Make my pledge' }).click()
  await ann.page.locator('#notice', { hasText: 'Saved: your pledge' }).waitFor()
  await gp.page.getByRole('textbox', { name: 'My pledge' }).fill('I will call back every patient the same day by March.')
  await gp.page.getByLabel('My organisation or team').fill('Riverside Surgery')
  await gp.page.getByLabel('I would like the organisers to ask me about my pledge later').check()
  await gp.page.getByLabel('Email or phone number').fill('gp@example.org')
  await gp.page.getByRole('button', { name: 'Make my pledge' }).click()
  await gp.page.locator('#notice', { hasText: 'To leave a contact, please tick the box' }).waitFor()
  await gp.page.getByLabel('I agree that the organisers keep this contact').check()
  await gp.page.getByRole('button', { name: 'Make my pledge' }).click()
  await gp.page.locator('#notice', { hasText: 'Saved: your pledge' }).waitFor()
  // The phone learns from the server (`/me`) which pledge holds a contact, and keeps no list of its own.
  await gp.page.reload()
  await gp.page.getByRole('button', { name: 'Withdraw my follow-up and delete my contact' }).waitFor()
  check(await gp.page.evaluate(() => !Object.keys(localStorage).some((k) => k.includes('contact')) && !JSON.stringify(localStorage).includes('gp@example.org')), 'the phone keeps no record of contacts')
  await gp.page.getByRole('button', { name: 'Withdraw my follow-up and delete my contact' }).click()
  await gp.page.locator('#notice', { hasText: 'Saved: withdrawing your follow-up and deleting your contact' }).waitFor()
  check(!(await gp.page.getByRole('button', { name: 'Withdraw my follow-up and delete my contact' }).count()), 'the contact is gone')
  await gp.page.reload()
  await gp.page.getByText('I will call back every patient the same day by March.').first().waitFor()
  await gp.page.waitForTimeout(500)
  check(!(await gp.page.getByRole('button', { name: 'Withdraw my follow-up and delete my contact' }).count()), 'the contact stays gone after a reload')
  ok('pledges: a name only when chosen, a contact only with its own consent, and the contact can be deleted')
  for (const [p, word] of [[ann, 'Kindness'], [gp, 'Time'], [carer, 'kindness'], [remote, 'Being heard']]) {
    await p.page.getByRole('textbox', { name: 'What matters most in care?' }).fill(word)
    await p.page.getByRole('button', { name: 'Add my word' }).click()
    await p.page.locator('#notice', { hasText: `Saved: your word “${word}”` }).waitFor()
  }
  await shot(gp.page, 'phone-pledge', { fullPage: true })
  await until(projector, () => document.querySelectorAll('.pledge').length === 2 && document.querySelectorAll('.word-cloud .word').length === 3, null, 'two pledges and three words on the projector')
  const pledges = await projector.locator('.pledge').allInnerTexts()
  check(pledges.some((p) => p.includes('carers group') && p.includes('— Ann')), 'Ann\'s pledge shows her name')
  check(pledges.some((p) => p.includes('same day by March') && p.includes('Riverside Surgery') && !p.includes('gp@example.org')), 'the contact never reaches the board')
  const biggest = await projector.evaluate(() => [...document.querySelectorAll('.word-cloud .word')].sort((a, b) => parseFloat(b.style.fontSize) - parseFloat(a.style.fontSize))[0].textContent)
  check(biggest.startsWith('Kindness'), `the word two people gave is the biggest, spelled with its capital: ${biggest}`)
  const remoteBiggest = await remote.page.evaluate(() => [...document.querySelectorAll('.word-cloud .word')].sort((a, b) => parseFloat(b.style.fontSize) - parseFloat(a.style.fontSize))[0].textContent)
  check(remoteBiggest === biggest, `every screen spells it the same: ${remoteBiggest} and ${biggest}`)
  await shot(projector, 'projector-pledges')
  await shot(remote.page, 'remote-pledges', { fullPage: true })
  ok('the projector shows the pledge wall and the word cloud, the contact stays private')

  // Phones only ever read the board: the server dropped no document update from any of them.
  const metrics = await (await fetch(`${base}/metrics`)).text()
  const dropped = metrics.split('\n').filter((l) => l.startsWith('touchpoint_messages_rejected_total') && l.includes('reason="read_only"')).map((l) => Number(l.split(' ').pop())).reduce((a, n) => a + n, 0)
  check(dropped === 0, `the server dropped ${dropped} document updates from participants`)
  ok('no phone tried to write the room document')

  check(!errors.length, `no script errors in any page:\n${errors.join('\n')}`)
  ok('no script errors in any page')
  await b.close()
})
