// Shared helpers for the browser tests: Debian's Chromium driven by
// playwright-core, axe-core checks, rooms made through the real API, and
// screenshots kept in tests/artifacts for people to look at; and the hall's
// checks (a projector at three sizes, a console on a laptop, a phone at large
// text), shared by the scripts that own each view.
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

// ---- The event in the hall: checks of what people see, and pictures of it. ----

/** Pictures of every view, for people to look at: client/docs keeps smaller copies of them (client/README.md). */
export const pictures = path.join(artifacts, 'hall')
mkdirSync(pictures, { recursive: true })

/** A picture of the page as it is, `<name>.png` among the pictures. */
export async function picture(page, name, options = {}) {
  await page.screenshot({ ...options, path: path.join(pictures, `${name}.png`) })
}

/** The projector's screens: a small one, the usual one, and a 4K one. */
export const SIZES = [[1280, 720], [1920, 1080], [3840, 2160]]

/**
 * One projector view at the three sizes: it fits each screen, is legible from the back of the
 * hall at 1080p (and, when `state` is given, says so in a large badge), and is pictured at each
 * size as `projector-<name>-<height>p`. `ready` is a selector that is there once the view is drawn.
 */
export async function onStage(page, name, ready, state) {
  for (const [width, height] of SIZES) {
    await page.setViewportSize({ width, height })
    await page.locator(ready).first().waitFor()
    // Results grow and words settle: the picture is of the view at rest.
    await page.waitForTimeout(600)
    const label = `the projector: ${name} at ${width}x${height}`
    await fits(page, label)
    if (width === 1920) {
      await legible(page, label)
      if (state) await stateShown(page, state, label)
    }
    await picture(page, `projector-${name}-${height}p`)
  }
  await page.setViewportSize({ width: 1920, height: 1080 })
}

/**
 * One console view on a laptop at 1280x720 and 1920x1080: no sideways scroll, no overlapping
 * labels, no axe violation; pictured whole as `console-<name>-<height>p`.
 */
export async function onLaptop(page, name, state) {
  const was = page.viewportSize()
  for (const [width, height] of SIZES.slice(0, 2)) {
    await page.setViewportSize({ width, height })
    await page.waitForTimeout(200)
    const label = `${state} at ${width}x${height}`
    const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
    check(over <= 1, `${label}: scrolls sideways by ${over} px`)
    const overlapping = await overlaps(page)
    check(!overlapping.length, `${label}: labels overlap: ${overlapping.slice(0, 3).join('; ')}`)
    await axe(page, label)
    await picture(page, `console-${name}-${height}p`, { fullPage: true })
  }
  await page.setViewportSize(was)
}


/** The projector page fits the screen, with nothing clipped off its edges. */
export async function fits(page, state) {
  const problem = await page.evaluate(() => {
    const root = document.documentElement
    if (root.scrollHeight > innerHeight || root.scrollWidth > innerWidth) return `the page scrolls (${root.scrollWidth}x${root.scrollHeight} in ${innerWidth}x${innerHeight})`
    const out = [...document.querySelectorAll('main *')].filter((el) => {
      if (el.closest('.visually-hidden') || !el.getClientRects().length) return false
      const box = el.getBoundingClientRect()
      return box.width && box.height && (box.bottom > innerHeight + 1 || box.right > innerWidth + 1)
    })
    return out.length ? `cut off at the edge: ${out.slice(0, 3).map((el) => `${el.tagName}.${el.className} ${el.textContent.slice(0, 30)}`).join('; ')}` : null
  })
  check(!problem, `${state}: ${problem}`)
}

/** At 1080p: no text under 24 px, and the body text at least 32 px. */
export async function legible(page, state) {
  const problem = await page.evaluate(() => {
    const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT)
    const small = []
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement
      if (!node.nodeValue.trim() || el.closest('.visually-hidden') || !el.getClientRects().length) continue
      const size = parseFloat(getComputedStyle(el).fontSize)
      if (size < 24) small.push(`${el.tagName}.${el.className} “${node.nodeValue.trim().slice(0, 20)}” ${size}px`)
    }
    if (small.length) return `text under 24 px: ${small.slice(0, 4).join('; ')}`
    const body = [...document.querySelectorAll('.note-text, .idea, .pledge-text, .result-head, .path-notes li, .option-board h2, .lead, .heatmap tr:not(.balance) td')]
      .filter((el) => parseFloat(getComputedStyle(el).fontSize) < 32)
    return body.length ? `body text under 32 px: ${body.slice(0, 3).map((el) => `${el.className} ${getComputedStyle(el).fontSize}`).join('; ')}` : null
  })
  check(!problem, `${state}: ${problem}`)
}

/** The activity's state in large words on a colour, and the join code and QR code readable while it is open. */
export async function stateShown(page, expected, state) {
  const seen = await page.evaluate(() => {
    const badge = document.querySelector('.state-badge')
    if (!badge) return null
    const style = getComputedStyle(badge)
    const qr = document.querySelector('.join-panel .qr')
    const code = document.querySelector('.join-panel .room-code')
    return {
      text: badge.textContent.trim(), size: parseFloat(style.fontSize), background: style.backgroundColor,
      qr: qr ? qr.getBoundingClientRect().width : 0, code: code ? parseFloat(getComputedStyle(code).fontSize) : 0,
    }
  })
  check(seen, `${state}: no state badge`)
  check(seen.text.includes(expected), `${state}: the badge says “${seen.text}”, not “${expected}”`)
  check(seen.size >= 40 && seen.background !== 'rgba(0, 0, 0, 0)', `${state}: the badge is not large and coloured (${seen.size}px on ${seen.background})`)
  if (expected === 'Open') check(seen.qr >= 160 && seen.code >= 40, `${state}: the QR code (${seen.qr}px) and the room code (${seen.code}px) are too small to read from the hall`)
}

/** Leaf text elements whose boxes overlap each other (on a phone, the console, any page with a `main`). */
export async function overlaps(page) {
  return page.evaluate(() => {
    const els = [...document.querySelectorAll('main label, main legend, main button, main a, main h1, main h2, main p, main .step-label, header .pill, header .room-name, nav button')]
      // Shown, and not inside a closed <details> (whose content keeps boxes that are never drawn).
      .filter((el) => el.checkVisibility({ visibilityProperty: true }) && !el.closest('.visually-hidden'))
    const boxes = els.map((el) => [el, el.getBoundingClientRect()])
    const out = []
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, x] = boxes[i]
        const [b, y] = boxes[j]
        if (a.contains(b) || b.contains(a)) continue
        const w = Math.min(x.right, y.right) - Math.max(x.left, y.left)
        const hgt = Math.min(x.bottom, y.bottom) - Math.max(x.top, y.top)
        if (w > 2 && hgt > 2) out.push(`“${a.textContent.trim().slice(0, 20)}” and “${b.textContent.trim().slice(0, 20)}”`)
      }
    }
    return out
  })
}

/**
 * The browser's own default font size (chrome://settings/fonts, WebPreferences), set through
 * the DevTools protocol. A full-page screenshot resets it, so it is set again before every look.
 */
export async function setLargeText(page) {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Page.setFontSizes', { fontSizes: { standard: 32, fixed: 32 } })
  await cdp.detach()
}

/**
 * One phone view at large text: no sideways scroll, no overlapping labels, every control 44x44 px;
 * its picture is `phone-<name>`, from the top or from the element `from` names.
 */
export async function largeText(page, name, state, { from } = {}) {
  await setLargeText(page)
  await page.waitForTimeout(250)
  check(await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize) >= 32), `${state}: the browser’s default font size is 32 px`)
  const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
  const wide = over > 1 ? await page.evaluate(() => [...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
    .slice(-4).map((el) => `${el.tagName.toLowerCase()}.${el.className}`).join(', ')) : ''
  check(over <= 1, `${state}: scrolls sideways by ${over} px at large text: ${wide}`)
  const overlapping = await overlaps(page)
  check(!overlapping.length, `${state}: labels overlap at large text: ${overlapping.slice(0, 3).join('; ')}`)
  const small = await page.evaluate(() => [...document.querySelectorAll('button, a, input, select, textarea, summary, label.choice, label.check, label.emotion-card, label.scale-choice')]
    .filter((el) => el.getClientRects().length && !(el.matches('input[type=radio], input[type=checkbox]') && el.closest('label')))
    .map((el) => [el, el.getBoundingClientRect()])
    .filter(([el, box]) => (el.matches('.skip') ? box.height < 24 : box.width < 44 || box.height < 44))
    .map(([el, box]) => `${el.tagName}.${el.className} “${(el.textContent || '').trim().slice(0, 20)}” ${Math.round(box.width)}x${Math.round(box.height)}`))
  check(!small.length, `${state}: controls under 44x44 px at large text: ${small.slice(0, 3).join('; ')}`)
  // The whole view in one picture (not `fullPage`, which drops the font setting while it shoots);
  // for a long page, the part from `from` down, where what is looked at lies.
  const { top, bottom } = await page.evaluate((selector) => {
    const el = selector && document.querySelector(selector)
    return { top: el ? Math.max(0, Math.round(el.getBoundingClientRect().top + scrollY) - 16) : 0, bottom: document.documentElement.scrollHeight }
  }, from)
  await page.setViewportSize({ width: 320, height: Math.min(2400, bottom - top) })
  await setLargeText(page)
  await page.evaluate((y) => window.scrollTo(0, y), top)
  await page.waitForTimeout(200)
  await picture(page, `phone-${name}`)
  await page.setViewportSize({ width: 320, height: 640 })
  await setLargeText(page)
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
