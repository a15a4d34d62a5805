// A very small view layer: views are functions that return fresh elements
// built with h(); mount() patches the live page to match them (morph), so
// a re-render after every room change keeps focus, caret and half-typed text
// where they were. Event handlers ride on the elements as properties and are
// called through one delegated listener per event type.

const EVENTS = ['click', 'input', 'change', 'submit', 'keydown']

/** h('button', {class: 'big', onclick: fn}, 'Label', child, [more]) */
export function h(tag, props, ...children) {
  const el = document.createElement(tag)
  if (props) {
    for (const name in props) {
      const value = props[name]
      if (value == null || value === false) continue
      if (name.startsWith('on')) {
        ;(el._on || (el._on = {}))[name.slice(2)] = value
      } else if (name === 'value' || name === 'checked' || name === 'selected') {
        el[name] = value
        // Kept as an attribute too, so that morph can compare it.
        el.setAttribute('data-' + name, String(value))
      } else if (name === 'key') {
        el.setAttribute('data-key', value)
      } else if (name === 'style' && typeof value === 'object') {
        // Through the CSSOM: the Content-Security-Policy refuses inline style attributes.
        for (const k in value) el.style.setProperty(k, value[k])
      } else {
        el.setAttribute(name, value === true ? '' : String(value))
      }
    }
  }
  append(el, children)
  return el
}

function append(el, children) {
  for (const child of children) {
    if (child == null || child === false || child === true) continue
    if (Array.isArray(child)) append(el, child)
    else el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)))
  }
}

/** Renders `view()` into `root` now and whenever `schedule()` is called (at most once a frame). */
export function mount(root, view) {
  for (const type of EVENTS) {
    root.addEventListener(type, (event) => {
      for (let el = event.target; el && el !== root.parentNode; el = el.parentNode) {
        const handler = el._on && el._on[type]
        if (handler) {
          if (type === 'submit') event.preventDefault()
          handler(event, el)
          if (type !== 'keydown' || event.defaultPrevented) schedule()
          return
        }
      }
    })
  }
  let pending = false
  function render() {
    pending = false
    const had = document.activeElement
    const path = had && had !== root && root.contains(had) ? pathTo(root, had) : null
    const next = view()
    morphChildren(root, Array.isArray(next) ? next.flat(Infinity).filter(Boolean) : [next])
    // Unless the view has already said where focus goes next (focusLater).
    if (path && !had.isConnected && !focusMoves) rescueFocus(path)
  }
  function schedule() {
    if (pending) return
    pending = true
    // The next frame; or soon, in a window the browser does not paint (a projector
    // tab behind the console), where frames never come but the board still changes.
    requestAnimationFrame(() => pending && render())
    setTimeout(() => pending && render(), 150)
  }
  render()
  return { schedule, render }
}

/** The focused element's ancestors up to `root`, each with its parent and its place there. */
function pathTo(root, el) {
  const path = []
  for (; el !== root; el = el.parentNode) path.push([el.parentNode, Array.prototype.indexOf.call(el.parentNode.childNodes, el)])
  return path
}

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]'

function focusableIn(node) {
  if (node.nodeType !== 1) return null
  const all = node.matches(FOCUSABLE) ? [node] : []
  all.push(...node.querySelectorAll(FOCUSABLE))
  return all.find((el) => el.getClientRects().length) || null
}

/**
 * A render removed the element in focus (a card leaving a filtered list, say):
 * without this, focus would fall to <body> and a keyboard or screen-reader user
 * would start again from the top (WCAG 2.4.3). Focus goes to what now stands in
 * its place, else the nearest control after it, else the nearest before it,
 * one level up at a time from the deepest ancestor still on the page.
 */
function rescueFocus(path) {
  const from = path.findIndex(([parent]) => parent.isConnected)
  if (from < 0) return
  for (const [place, index] of path.slice(from)) {
    const kids = Array.from(place.childNodes)
    for (const kid of kids.slice(index).concat(kids.slice(0, index).reverse())) {
      const target = focusableIn(kid)
      if (target) {
        target.focus()
        return
      }
    }
  }
}

function sameKind(a, b) {
  if (a.nodeType !== b.nodeType) return false
  if (a.nodeType !== 1) return true
  return a.tagName === b.tagName && a.getAttribute('data-key') === b.getAttribute('data-key') &&
    (a.tagName !== 'INPUT' || a.type === b.type)
}

function morphChildren(parent, wanted) {
  const old = Array.from(parent.childNodes)
  const keyed = new Map()
  for (const node of old) {
    const key = node.nodeType === 1 && node.getAttribute('data-key')
    if (key) keyed.set(key, node)
  }
  let cursor = 0
  wanted.forEach((next, i) => {
    const key = next.nodeType === 1 && next.getAttribute('data-key')
    let match = null
    if (key) {
      match = keyed.get(key) || null
      if (match && !sameKind(match, next)) match = null
      if (match) keyed.delete(key)
    } else {
      while (cursor < old.length && old[cursor].nodeType === 1 && old[cursor].getAttribute('data-key')) cursor++
      if (cursor < old.length && sameKind(old[cursor], next)) match = old[cursor++]
    }
    const here = parent.childNodes[i] || null
    if (match) {
      morph(match, next)
      if (match !== here) parent.insertBefore(match, here)
    } else {
      parent.insertBefore(next, here)
    }
  })
  while (parent.childNodes.length > wanted.length) parent.removeChild(parent.lastChild)
}

function morph(el, next) {
  if (el.nodeType !== 1) {
    if (el.nodeValue !== next.nodeValue) el.nodeValue = next.nodeValue
    return
  }
  // A <details> is opened and closed by the person: its `open` is theirs after the first render.
  const owned = (name) => name === 'open' && el.tagName === 'DETAILS'
  for (const attr of Array.from(el.attributes)) {
    if (!next.hasAttribute(attr.name) && !owned(attr.name)) el.removeAttribute(attr.name)
  }
  for (const attr of Array.from(next.attributes)) {
    if (el.getAttribute(attr.name) === attr.value || owned(attr.name)) continue
    // A style is copied through the CSSOM, which the Content-Security-Policy allows.
    if (attr.name === 'style') el.style.cssText = next.style.cssText
    else el.setAttribute(attr.name, attr.value)
  }
  el._on = next._on
  // Form state lives in properties: the view's value wins, but an unchanged
  // value is left alone so that the caret does not jump while typing.
  if ('value' in next && next.hasAttribute('data-value') && el.value !== next.value) el.value = next.value
  if (next.hasAttribute('data-checked')) el.checked = next.checked
  if (next.hasAttribute('data-selected')) el.selected = next.selected
  if (el.tagName === 'SELECT' || el.tagName === 'TEXTAREA') {
    morphChildren(el, Array.from(next.childNodes))
    if (next.hasAttribute('data-value') && el.value !== next.getAttribute('data-value')) el.value = next.getAttribute('data-value')
    return
  }
  morphChildren(el, Array.from(next.childNodes))
}

/** Moves focus to the element matching `selector` after the next render (managed focus). */
let focusMoves = 0

export function focusLater(selector) {
  focusMoves++
  // After the render that follows the current event (at most 150 ms away, see mount).
  setTimeout(() => {
    focusMoves--
    const el = document.querySelector(selector)
    if (!el) return
    if (!el.hasAttribute('tabindex') && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(el.tagName)) el.setAttribute('tabindex', '-1')
    el.focus()
  }, 200)
}

/** Text for a count: "1 card", "3 cards". */
export function plural(n, one, many = one + 's') {
  return `${n} ${n === 1 ? one : many}`
}

/** A date the server sends (`2027-03-03`) as people read it: 3 March 2027. */
export function longDate(iso) {
  return new Date(`${iso}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' })
}
