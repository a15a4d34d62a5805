// Shared helpers for the browser tests: Debian's Chromium driven by
// playwright-core, axe-core checks, rooms made through the real API, and
// screenshots kept in tests/artifacts for people to look at.
import { chromium } from 'playwright-core'
import { readFileSync, mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import { parseArgs } from 'node:util'

const here = path.dirname(fileURLToPath(import.meta.url))
export const artifacts = path.join(here, '..', 'artifacts')
mkdirSync(artifacts, { recursive: true })

export function options() {
  const { values } = parseArgs({
    options: { url: { type: 'string' }, 'admin-token': { type: 'string' } },
  })
  if (!values.url || !values['admin-token']) {
    console.error('usage: node e2e-….mjs --url http://127.0.0.1:PORT --admin-token TOKEN')
    process.exit(2)
  }
  return { base: values.url.replace(/\/$/, ''), admin: values['admin-token'] }
}

export function ok(what) {
  console.log(`ok - ${what}`)
}

export function fail(what) {
  throw new Error(what)
}

export function check(condition, what) {
  if (!condition) fail(what)
}

/**
 * Chromium, headless. Playwright's launch() gives every run a fresh temporary
 * profile (its --user-data-dir); the background-networking flags keep
 * Chromium from stalling on a closed network.
 */
const cspViolations = []

/** Every page of every context reports what the Content-Security-Policy refused; `main` fails on any. */
async function watchCsp(context) {
  await context.addInitScript(() => document.addEventListener('securitypolicyviolation', (e) => {
    console.error(`Content Security Policy violation: ${e.effectiveDirective} refused ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`)
  }))
  context.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text())
  })
  return context
}

export async function browser() {
  const b = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  })
  const newContext = b.newContext.bind(b)
  b.newContext = async (...args) => watchCsp(await newContext(...args))
  return b
}

export async function api(base, method, route, { token, body } = {}) {
  const headers = {}
  if (token) headers.Authorization = `Bearer ${token}`
  if (body) headers['Content-Type'] = 'application/json'
  const response = await fetch(base + route, { method, headers, body: body ? JSON.stringify(body) : undefined })
  const data = await response.json().catch(() => null)
  if (!response.ok) fail(`${method} ${route}: ${response.status} ${JSON.stringify(data)}`)
  return data
}

export async function createRoom(base, admin, template, title = 'Test event') {
  return api(base, 'POST', '/api/rooms', { token: admin, body: { title, template } })
}

export function facilitator(base, room) {
  let n = 0
  return (kind, fields = {}) => api(base, 'POST', `/api/rooms/${room.code}/intents`, {
    token: room.facilitator_key,
    body: { key: `fac-${Date.now()}-${n++}-${Math.random()}`, kind, ...fields },
  })
}

const axeSource = readFileSync(path.join(here, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8')

/** Runs axe-core (WCAG 2.0-2.2 A and AA) on the page as it is; fails on any violation. */
export async function axe(page, state) {
  // Evaluated, not added as a <script>: the page's Content-Security-Policy refuses inline scripts.
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(axeSource)
  const result = await page.evaluate(async () => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    resultTypes: ['violations'],
  }))
  if (result.violations.length) {
    const lines = result.violations.map((v) => `  ${v.id} (${v.impact}): ${v.help}\n` +
      v.nodes.slice(0, 4).map((n) => `    ${n.target.join(' ')}: ${n.failureSummary.replace(/\n/g, ' ')}`).join('\n'))
    fail(`axe found ${result.violations.length} violation(s) on ${state}:\n${lines.join('\n')}`)
  }
  ok(`axe: no WCAG 2.2 AA violations on ${state}`)
}

/**
 * The focused element is on screen, shows a focus ring, and nothing covers it
 * (WCAG 2.4.7, 2.4.11): a control's whole box is inside the viewport and the
 * element at its centre is the control itself. A container focused by the page
 * (tabindex -1, larger than the screen, say) need only be in view where it starts.
 */
export async function focusVisible(page, what) {
  const problem = await page.evaluate(() => {
    const el = document.activeElement
    if (!el || el === document.body) return 'nothing has focus'
    const target = el.matches('input[type=radio], input[type=checkbox]') && el.closest('label') ? el.closest('label') : el
    const box = target.getBoundingClientRect()
    const managed = el.tabIndex === -1
    const inside = managed
      ? box.top >= 0 && box.top < innerHeight && box.right > 0 && box.left < innerWidth
      : box.top >= 0 && box.left >= 0 && box.bottom <= innerHeight && box.right <= innerWidth
    if (!inside) return `${el.tagName}#${el.id} is not in the viewport (${Math.round(box.top)}..${Math.round(box.bottom)} of ${innerHeight})`
    // The centre of the part on screen.
    const x = (Math.max(0, box.left) + Math.min(innerWidth, box.right)) / 2
    const y = (Math.max(0, box.top) + Math.min(innerHeight, box.bottom)) / 2
    const top = document.elementFromPoint(x, y)
    if (!top || !(target.contains(top) || top.contains(target))) return `${el.tagName} is covered by ${top && top.tagName}.${top && top.className}`
    const style = getComputedStyle(el)
    const ring = style.outlineStyle !== 'none' || style.boxShadow !== 'none' || getComputedStyle(target).outlineStyle !== 'none'
    return ring || managed ? null : `${el.tagName} shows no focus ring`
  })
  check(!problem, `${what}: ${problem}`)
}

export async function shot(page, name, options = {}) {
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), ...options })
}

/** Waits until `fn` (run in the page) returns truthy. */
export async function until(page, fn, arg, what, timeout = 10000) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 100 })
  } catch {
    fail(`timed out waiting for ${what}`)
  }
}

const tracked = new Map()

/** Remembers a page so that a failure leaves a screenshot of it (failure-<name>.png). */
export function track(page, name) {
  tracked.set(name, page)
  return page
}

export async function main(run) {
  const started = Date.now()
  try {
    await run()
    check(!cspViolations.length, `the Content-Security-Policy refused something:\n${[...new Set(cspViolations)].join('\n')}`)
    ok('no Content-Security-Policy violations in any page')
    console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`)
    process.exit(0)
  } catch (error) {
    console.error(`not ok - ${error.message}`)
    for (const [name, page] of tracked) {
      await page.screenshot({ path: path.join(artifacts, `failure-${name}.png`), fullPage: true, timeout: 5000 }).catch(() => {})
    }
    process.exit(1)
  }
}

/** One template with every kind of activity, small enough to read in a test. */
export const eventTemplate = {
  id: 'e2e-event',
  title: 'End-to-end event',
  perspectives: [
    { id: 'person', label: 'Person using services', group: 'people' },
    { id: 'carer', label: 'Family carer', group: 'people' },
    { id: 'staff', label: 'Member of staff', group: 'professionals', roles: [{ id: 'gp', label: 'GP' }, { id: 'receptionist', label: 'Receptionist' }] },
  ],
  segments: [{ id: 'age-band', label: 'How old are you?', options: [{ id: '60-74', label: '60 to 74' }, { id: '75-and-over', label: '75 and over' }, { id: 'prefer-not-to-say', label: 'Prefer not to say' }] }],
  activities: [
    {
      kind: 'emotion_map', id: 'map', title: 'How care feels today', board: 'current', own_word: true,
      prompt: 'Choose a moment, then how it felt.',
      personas: [{ name: 'Margaret', description: 'Margaret is 78 and lives on her own.' }, { name: 'David', description: 'David is her son and works full time.' }],
      touchpoints: [
        { id: 'booking', label: 'Booking an appointment' },
        { id: 'seeing-the-gp', label: 'Seeing the GP' },
        { id: 'results', label: 'Results' },
      ],
      emotions: [
        { id: 'reassured', label: 'Reassured', valence: 'positive', colour: '#166534', icon: '😌' },
        { id: 'ok', label: 'OK', valence: 'neutral', colour: '#546e7a', icon: '😐' },
        { id: 'anxious', label: 'Anxious', valence: 'negative', colour: '#a4262c', icon: '😰' },
        { id: 'frustrated', label: 'Frustrated', valence: 'negative', colour: '#b93800', icon: '😤' },
      ],
    },
    {
      kind: 'vote', id: 'options', title: 'The options for change', budget: 3, max_per_option: 2, scale: true, comments: true,
      prompt: 'Place your 3 dots.',
      options: [
        { id: 'callback', label: 'A same-day callback' },
        { id: 'coordinator', label: 'A named care coordinator' },
        { id: 'results-explained', label: 'Results explained to you' },
      ],
    },
    { kind: 'pledge', id: 'pledges', title: 'My pledge', touchstones: true, touchstone_prompt: 'What matters most in care?' },
    {
      kind: 'path', id: 'path', title: 'Our PATH', prompt: 'Start with the dream.',
      sections: [
        { id: 'north-star', label: 'The north star', hint: 'Dream big.' },
        { id: 'now', label: 'Where we are now' },
        { id: 'first-step', label: 'The first bold step' },
      ],
    },
    { kind: 'ideas', id: 'ideas', title: 'Anything else to tell us?', prompt: 'Write anything the map missed.' },
    { kind: 'feedback', id: 'feedback', title: 'Feedback on today', prompt: 'How was today for you?' },
  ],
}
