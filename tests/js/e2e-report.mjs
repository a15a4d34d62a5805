// The insights report, opened from the console as a facilitator would: the
// console asks for a short-lived link with its key and opens the report in a
// new tab, with no key in its address. The room's touchpoints have long Welsh
// and Urdu names: the charts may shorten them, but only between words.
//
//   node e2e-report.mjs --url http://127.0.0.1:PORT --admin-token TOKEN
import path from 'node:path'
import { options, browser, api, ok, check, shot, axe, main, track, facilitator, eventTemplate, artifacts } from './e2e-lib.mjs'

const { base, admin } = options()
const TITLE = 'Gwasanaethau ym Mangor'
const LABELS = [
  'Trefnu apwyntiad gyda’r meddyg teulu ar y ffôn yn gynnar yn y bore',
  'ڈاکٹر سے ملاقات کا وقت لینے کے لیے صبح سویرے فون کرنا',
  'Ŵyr ac ŷd: cyfarfod cyntaf gyda’r gweithiwr cymdeithasol newydd',
]

main(async () => {
  const template = structuredClone(eventTemplate)
  const map = template.activities.find((a) => a.id === 'map')
  map.touchpoints = LABELS.map((label, i) => ({ id: `moment-${i}`, label }))
  const room = await api(base, 'POST', '/api/rooms', { token: admin, body: { title: TITLE, template_definition: template } })
  const fac = facilitator(base, room)
  await fac('open_activity', { activity: 'map' })
  const emotions = ['anxious', 'reassured', 'anxious', 'ok', 'anxious', 'reassured']
  for (const [i, emotion] of emotions.entries()) {
    const { token } = await api(base, 'POST', `/api/rooms/${room.code}/participants`, { body: { profile: { perspective: i % 2 ? 'staff' : 'person' } } })
    for (const touchpoint of ['moment-0', 'moment-1', 'moment-2']) {
      await api(base, 'POST', `/api/rooms/${room.code}/intents`, { token, body: { key: `card-${i}-${touchpoint}`, kind: 'add_card', activity: 'map', touchpoint, emotion } })
    }
  }
  await fac('lock_activity', { activity: 'map' })

  const b = await browser()
  const errors = []
  const context = await b.newContext({ viewport: { width: 1366, height: 900 } })
  context.on('page', (page) => page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`)))
  const con = track(await context.newPage(), 'console')
  await con.goto(`${base}/facilitate/${room.code}#key=${room.facilitator_key}`)
  await con.getByRole('button', { name: 'Snapshots and data' }).click()
  await con.getByRole('heading', { name: 'Insights report' }).waitFor()
  await axe(con, 'the console with the link to the insights report')
  const [report] = await Promise.all([context.waitForEvent('page'), con.getByRole('button', { name: 'Open the insights report' }).click()])
  track(report, 'report')
  await report.waitForURL(/\/report\.html\?ticket=/)
  await report.getByRole('heading', { level: 1, name: `Insights report: ${TITLE}` }).waitFor()
  check(await report.title() === `Insights report: ${TITLE}`, `the report's title: ${await report.title()}`)
  check(!report.url().includes(room.facilitator_key), 'the facilitator key is in the report’s address')
  await shot(report, 'report', { fullPage: true })
  await report.locator('svg').first().screenshot({ path: path.join(artifacts, 'report-chart.png') })
  ok('the console opens the insights report in a new tab, with a short-lived link and no key in it')

  // Every label drawn in a chart is a touchpoint's whole name, or its first words and an ellipsis.
  const drawn = await report.evaluate(() => [...document.querySelectorAll('svg text')].map((t) => t.textContent.trim()))
  const shortened = drawn.filter((text) => text.endsWith('…'))
  check(shortened.length > 0, `no chart label was shortened: ${JSON.stringify(drawn)}`)
  for (const text of shortened) {
    const words = text.slice(0, -1).split(/\s+/)
    const whole = LABELS.some((label) => {
      const of = label.split(/\s+/)
      return words.every((word, i) => of[i] === word || of[i].replace(/[,:;]$/, '') === word)
    })
    check(whole, `the chart label “${text}” cuts a word of a touchpoint's name`)
  }
  ok('report charts shorten long Welsh and Urdu labels only between words')

  check(!errors.length, `script errors: ${errors.join('; ')}`)
  await b.close()
})
