// Status messages for screen readers (WCAG 4.1.3): two live regions that
// exist from the first paint (a region added later is often not read), one
// polite for what happens in the room, one assertive for what went wrong.

let polite = null
let assertive = null
let batch = []
let batchTimer = null

export function installLiveRegions() {
  if (polite) return
  polite = document.createElement('div')
  polite.className = 'visually-hidden'
  polite.setAttribute('role', 'status')
  polite.setAttribute('aria-live', 'polite')
  polite.id = 'live-polite'
  assertive = document.createElement('div')
  assertive.className = 'visually-hidden'
  assertive.setAttribute('role', 'alert')
  assertive.id = 'live-assertive'
  document.body.append(polite, assertive)
}

function speak(region, text) {
  if (!region) return
  // Clearing first makes the same sentence twice still be read.
  region.textContent = ''
  setTimeout(() => { region.textContent = text }, 50)
}

/** Says `text` politely, soon; a burst of messages becomes one. */
export function announce(text) {
  batch.push(text)
  clearTimeout(batchTimer)
  batchTimer = setTimeout(() => {
    const all = batch
    batch = []
    speak(polite, all.length > 3 ? `${all.slice(-2).join(' ')} And ${all.length - 2} more changes.` : all.join(' '))
  }, 700)
}

export function announceNow(text) {
  speak(polite, text)
}

export function alertNow(text) {
  speak(assertive, text)
}

// Arrow keys move through a radio group and check each radio on the way: a
// choice made that way must not fold the list and move focus, or a keyboard
// user could never get past the first option. Space, Enter and taps confirm.
let lastKey = null
if (typeof document !== 'undefined') {
  document.addEventListener('keydown', (event) => { lastKey = event.key }, true)
  document.addEventListener('pointerdown', () => { lastKey = null }, true)
}
export function changedByArrow() {
  return /^Arrow/.test(lastKey || '')
}
