// Accessibility of the phone, the projector, the front page and the
// statement, in real Chromium: axe-core (WCAG 2.0 to 2.2, A and AA) on every
// view and state with zero violations, reflow at 320 px and at 200% zoom of
// a 360 px phone, target sizes, and the phone used with the keyboard alone.
//
//   node e2e-a11y.mjs --url http://127.0.0.1:PORT --admin-token TOKEN
import { options, browser, api, facilitator, ok, check, fail, shot, axe, until, main, track, eventTemplate } from './e2e-lib.mjs'

const { base, admin } = options()

/** No sideways scrolling: everything reflows into the width (1.4.10). */
async function reflows(page, state) {
  for (const width of [320, 180]) {
    await page.setViewportSize({ width, height: 700 })
    await page.waitForTimeout(100)
    const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
    const culprits = over > 1 ? await page.evaluate(() => [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      .slice(-4).map((el) => `${el.tagName.toLowerCase()}.${el.className} ${Math.round(el.getBoundingClientRect().right)}`).join(', ')) : ''
    check(over <= 1, `${state} scrolls sideways by ${over} px at ${width} px wide: ${culprits}`)
  }
  await page.setViewportSize({ width: 360, height: 740 })
  ok(`${state}: reflows at 320 px and at 200% zoom of a 360 px phone`)
}

/** Every control on the phone is at least 44 by 44 px (links inside sentences at least 24 px high). */
async function targets(page, state) {
  const small = await page.evaluate(() => {
    const out = []
    for (const el of document.querySelectorAll('button, a, input, select, textarea, summary, label.choice, label.check, label.emotion-card, label.scale-choice')) {
      const box = el.getBoundingClientRect()
      if (!box.width && !box.height) continue
      if (el.matches('input[type=radio], input[type=checkbox]') && el.closest('label')) continue
      const inline = el.matches('.link-button, a:not(.button), .skip')
      if (inline ? box.height < 24 : box.height < 44 || box.width < 44) out.push(`${el.tagName.toLowerCase()}.${el.className} “${(el.textContent || el.value || '').trim().slice(0, 30)}” ${Math.round(box.width)}×${Math.round(box.height)}`)
    }
    return out
  })
  check(!small.length, `${state}: targets too small:\n  ${small.join('\n  ')}`)
  ok(`${state}: every target is at least 44 px (inline links 24 px)`)
}

main(async () => {
  const room = await api(base, 'POST', '/api/rooms', { token: admin, body: { title: 'Accessibility check', template_definition: eventTemplate } })
  const fac = facilitator(base, room)
  const b = await browser()
  const errors = []
  const context = await b.newContext({ viewport: { width: 360, height: 740 } })
  const page = track(await context.newPage(), 'phone')
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('dialog', (d) => d.accept())

  // The front page and the statement.
  await page.goto(`${base}/`)
  await axe(page, 'the front page')
  await page.getByLabel('Room code').fill('nope')
  await page.getByRole('button', { name: 'Join the room' }).click()
  await page.getByText('A room code has 10 letters and numbers').waitFor()
  await until(page, () => document.activeElement.id === 'code', null, 'focus to go back to the code field with its error')
  await axe(page, 'the front page with a wrong code')
  await page.getByText('For facilitators: start a new room').click()
  await axe(page, 'the front page with the facilitator form open')
  await reflows(page, 'the front page')
  await page.goto(`${base}/accessibility`)
  await axe(page, 'the accessibility statement')
  await shot(page, 'statement', { fullPage: true })

  // The phone, with the keyboard alone from here on where it matters.
  await page.goto(`${base}/join/${room.code}`)
  await page.getByRole('heading', { name: 'About you' }).waitFor()
  await axe(page, 'the phone: about you')
  await page.getByLabel('Member of staff').check()
  await page.getByLabel('GP', { exact: true }).waitFor()
  await axe(page, 'the phone: about you, with the staff roles')
  await reflows(page, 'the phone: about you')
  await targets(page, 'the phone: about you')
  await page.getByRole('button', { name: 'Save and continue' }).click()
  await page.getByRole('heading', { name: /Welcome to/ }).waitFor()
  await axe(page, 'the phone: the welcome screen')

  await fac('open_activity', { activity: 'map' })
  await fac('set_current', { activity: 'map' })
  await page.locator('#activity-heading', { hasText: 'How care feels today' }).waitFor()
  await axe(page, 'the phone: emotional map, choosing a moment')
  await reflows(page, 'the phone: emotional map')
  await targets(page, 'the phone: emotional map')

  // Keyboard only: arrows browse without committing; Space or Enter chooses; focus moves on.
  await page.locator('#activity-heading').focus()
  let guard = 0
  while (!(await page.evaluate(() => document.activeElement.matches('input[type=radio]'))) && guard++ < 20) await page.keyboard.press('Tab')
  await page.keyboard.press('ArrowDown')
  await page.waitForTimeout(150)
  check(await page.locator('#touchpoints').isVisible(), 'an arrow key alone does not fold the list of moments')
  check(await page.evaluate(() => document.activeElement.value === 'seeing-the-gp'), 'the arrow moved to the second moment')
  await page.keyboard.press('Enter')
  await until(page, () => document.activeElement && document.activeElement.closest('#emotions'), null, 'focus to move to the feelings')
  ok('keyboard: arrows browse the moments, Enter chooses, and focus moves on to the feelings')
  await axe(page, 'the phone: emotional map, choosing a feeling')
  await reflows(page, 'the phone: choosing a feeling')
  await targets(page, 'the phone: choosing a feeling')
  await page.keyboard.press('Tab')
  await page.keyboard.press('Space')
  await until(page, () => document.activeElement && document.activeElement.id === 'note', null, 'focus to move to the note')
  await page.keyboard.type('Kind and unhurried')
  await axe(page, 'the phone: emotional map, writing a note')
  await page.keyboard.press('Tab')
  check(await page.evaluate(() => document.activeElement.textContent === 'Place my card'), 'the next stop after the note is the button')
  await page.keyboard.press('Enter')
  await page.locator('#notice', { hasText: 'Saved: your card “Reassured” at “Seeing the GP”' }).waitFor()
  ok('keyboard: a whole card is placed without a pointer')
  const live = await page.evaluate(() => new Promise((resolve) => setTimeout(() => resolve(document.getElementById('live-polite').textContent), 1000)))
  check(live.includes('Saved: your card'), `the save is announced as a status message: ${live}`)
  ok('the saved card is announced in a polite live region')
  await axe(page, 'the phone: emotional map, card saved')
  await shot(page, 'phone-keyboard-saved', { fullPage: true })

  // A timer that runs out never takes away a half-written card; nor does the room moving on.
  await page.getByLabel('Results').click()
  await page.getByRole('radio', { name: 'Anxious', exact: true }).click()
  await page.locator('#note').fill('Half-written thou')
  await fac('start_timer', { seconds: 1 })
  await page.getByText('⏱ Time is up').waitFor()
  await fac('open_activity', { activity: 'options' })
  await fac('set_current', { activity: 'options' })
  await page.locator('#notice', { hasText: 'The facilitator has moved on to “The options for change”' }).waitFor()
  check(await page.locator('#note').inputValue() === 'Half-written thou', 'the half-written note is still there')
  await axe(page, 'the phone: the room moved on while writing')
  const before = await page.evaluate((c) => `${localStorage.getItem(`tp:viewing:${c}`)} ${localStorage.getItem(`tp:drafts:${c}`)}`, room.code)
  await page.reload()
  await page.getByRole('button', { name: /Go to what the room is doing now/ }).waitFor({ timeout: 10000 }).catch(() => fail(`after the reload the phone did not go back to the half-written card (stored: ${before})`))
  check(await page.locator('#note').inputValue() === 'Half-written thou', 'the half-written note survives a reload')
  ok('a timer running out and the room moving on keep a half-written card, even across a reload')
  await page.getByRole('button', { name: 'Place my card' }).click()
  await page.locator('#notice', { hasText: 'Saved: your card “Anxious” at “Results”' }).waitFor()
  await fac('stop_timer')
  await page.getByRole('button', { name: /Go to what the room is doing now/ }).click()

  // Offline: the waiting state is said in words.
  await context.setOffline(true)
  await page.locator('#activity-heading', { hasText: 'The options for change' }).waitFor()
  await axe(page, 'the phone: vote')
  await targets(page, 'the phone: vote')
  await reflows(page, 'the phone: vote')
  await page.getByRole('button', { name: 'Put a dot on “A same-day callback”' }).click()
  await page.getByText('1 change not sent yet').waitFor()
  await axe(page, 'the phone: vote, offline with a dot not sent yet')
  await context.setOffline(false)
  await until(page, () => !document.body.innerText.includes('not sent yet'), null, 'the dot to be sent', 30000)
  await fac('lock_activity', { activity: 'options' })
  await fac('reveal_activity', { activity: 'options' })
  await page.locator('.results').waitFor()
  await axe(page, 'the phone: vote closed, results revealed')

  await fac('open_activity', { activity: 'path' })
  await fac('set_current', { activity: 'path' })
  await page.locator('#activity-heading', { hasText: 'Our PATH' }).waitFor()
  await page.getByLabel('1. The north star').check()
  await page.getByLabel('Your note for “The north star”').fill('Everyone is known by name')
  await page.getByRole('button', { name: 'Add my note' }).click()
  await page.locator('#notice', { hasText: 'Saved: your note' }).waitFor()
  await axe(page, 'the phone: PATH, with a note')
  await reflows(page, 'the phone: PATH')

  await fac('open_activity', { activity: 'pledges' })
  await fac('set_current', { activity: 'pledges' })
  await page.locator('#activity-heading', { hasText: 'My pledge' }).waitFor()
  await page.getByLabel('Show my name with my pledge').check()
  await page.getByLabel('I would like the organisers to ask me about my pledge later').check()
  await axe(page, 'the phone: pledge, with name and contact fields')
  await targets(page, 'the phone: pledge')
  await reflows(page, 'the phone: pledge')
  await page.getByRole('textbox', { name: 'My pledge' }).fill('Answer the phone by the fourth ring')
  await page.getByRole('button', { name: 'Make my pledge' }).click()
  await page.locator('#notice', { hasText: 'Saved: your pledge' }).waitFor()
  await page.getByRole('textbox', { name: 'What matters most in care?' }).fill('Kindness')
  await page.getByRole('button', { name: 'Add my word' }).click()
  await page.locator('#notice', { hasText: 'Saved: your word' }).waitFor()

  await fac('open_activity', { activity: 'ideas' })
  await fac('set_current', { activity: 'ideas' })
  await page.locator('#activity-heading', { hasText: 'Anything else' }).waitFor()
  await page.getByLabel('Your words').fill('A quiet room to wait in')
  await page.getByRole('button', { name: 'Send' }).click()
  await page.locator('#notice', { hasText: 'Saved: your idea' }).waitFor()
  await axe(page, 'the phone: ideas, with an idea')

  await fac('open_activity', { activity: 'feedback' })
  await fac('set_current', { activity: 'feedback' })
  await page.locator('#activity-heading', { hasText: 'Feedback on today' }).waitFor()
  await page.getByLabel('4: Good').check()
  await page.getByLabel('What worked well? (optional)').fill('Small tables')
  await page.getByText('12 of 280 characters').waitFor()
  await axe(page, 'the phone: feedback, with a rating and a text')
  await targets(page, 'the phone: feedback')
  await reflows(page, 'the phone: feedback')
  await page.getByRole('button', { name: 'Send my feedback' }).click()
  await page.locator('#notice', { hasText: 'Saved: your feedback' }).waitFor()
  await page.getByRole('button', { name: 'Change my feedback' }).waitFor()

  await page.getByRole('button', { name: 'My contributions' }).click()
  await page.getByRole('heading', { name: 'My contributions' }).waitFor()
  await axe(page, 'the phone: my contributions')
  await targets(page, 'the phone: my contributions')
  await reflows(page, 'the phone: my contributions')
  await shot(page, 'phone-mine', { fullPage: true })

  // A room that is not there.
  await page.goto(`${base}/join/ABCDEFGHJK`)
  await page.getByText('There is no room with this code').waitFor()
  await axe(page, 'the phone: a room code that does not exist')

  // The projector, in every kind of activity.
  const projector = track(await b.newPage({ viewport: { width: 1920, height: 1080 } }), 'projector')
  projector.on('pageerror', (e) => errors.push(`projector: ${e.message}`))
  await fac('set_current', { activity: null })
  await projector.goto(room.projector_url)
  await projector.locator('.join-panel.big').waitFor()
  await axe(projector, 'the projector: lobby')
  for (const [id, title, wait] of [['map', 'How care feels today', 'table.heatmap'], ['options', 'The options for change', '.results'], ['path', 'Our PATH', '.path-board'], ['pledges', 'My pledge', '.word-cloud'], ['ideas', 'Anything else to tell us?', '.idea-wall'], ['feedback', 'Feedback on today', '.feedback-board']]) {
    await fac('set_current', { activity: id })
    await projector.locator('.board-heading', { hasText: title }).waitFor()
    await projector.locator(wait).waitFor()
    await axe(projector, `the projector: ${title}`)
    await shot(projector, `projector-${id}`)
  }
  await fac('start_timer', { seconds: 300 })
  await projector.locator('.timer').waitFor()
  await axe(projector, 'the projector: with a timer')
  const projectorNoKey = await b.newPage()
  await projectorNoKey.goto(`${base}/projector/${room.code}`)
  await axe(projectorNoKey, 'the projector without its key')

  check(!errors.length, `no script errors:\n${errors.join('\n')}`)
  ok('no script errors in any page')
  await b.close()
})
