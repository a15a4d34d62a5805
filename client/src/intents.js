// The outbox: every change a person asks for is an intent with a key made
// here. Unacknowledged intents are kept in local storage, in order, and sent
// one at a time until the server answers; a retry with the same key returns
// the first answer, so nothing is lost on a train with no signal and nothing
// is counted twice. "Saved" is only ever said after the server's 200.
import { call, newKey, roomApi, store } from './api.js'

/**
 * An outbox for one room and one credential. `onChange(event)` is called with
 * {type: 'saved'|'refused'|'waiting'|'sending', item, result?, error?}. A `name`
 * keeps another credential's outbox (a helper's) apart from the phone's in the same browser.
 */
export function createOutbox(code, token, onChange, { persist = true, name = '' } = {}) {
  const storageKey = `tp:outbox:${code}${name ? `:${name}` : ''}`
  let items = persist ? store.get(storageKey, []) : []
  let sending = false
  let attempt = 0
  let timer = null
  const state = { waiting: false, lastError: null }

  /**
   * Every change reads the stored list afresh and writes it back at once: two tabs of one
   * phone share the outbox, and neither may write back a list without the other's items.
   */
  function change(fn) {
    if (persist) items = store.get(storageKey, [])
    fn()
    if (persist) store.set(storageKey, items.length ? items : null)
  }
  const forget = (key) => change(() => { items = items.filter((item) => item.key !== key) })

  /**
   * Queues an intent; `label` says in plain words what it is ("your card at Booking").
   * Returns the item; its outcome arrives through onChange.
   */
  function send(body, label, extra = {}) {
    // Moving a dot again before the first move left the phone: send only the latest.
    if (body.kind === 'set_dots' || body.kind === 'set_score') {
      let earlier = null
      change(() => {
        earlier = items.find((item) => !item.tried && item.body.kind === body.kind &&
          item.body.activity === body.activity && item.body.option === body.option)
        if (earlier) Object.assign(earlier.body, body, { key: earlier.key })
      })
      if (earlier) {
        onChange({ type: 'sending', item: earlier })
        return earlier
      }
    }
    const key = newKey()
    const item = { key, body: { ...body, key }, label, tried: false, ...extra }
    change(() => items.push(item))
    onChange({ type: 'sending', item })
    pump()
    return item
  }

  async function pump() {
    if (sending) return
    let item = null
    change(() => {
      item = items[0]
      if (item) item.tried = true
    })
    if (!item) return
    sending = true
    clearTimeout(timer)
    try {
      // Another tab may send the same item at the same moment: its key makes that harmless.
      const result = await call('POST', `${roomApi(code)}/intents`, { token, body: item.body })
      forget(item.key)
      attempt = 0
      state.waiting = false
      state.lastError = null
      onChange({ type: 'saved', item, result })
    } catch (error) {
      if (error.retry) {
        attempt++
        state.waiting = true
        state.lastError = error
        onChange({ type: 'waiting', item, error })
        // 1 s, 2 s, 4 s... up to 30 s, jittered.
        const delay = Math.min(30000, 1000 * 2 ** Math.min(attempt - 1, 5)) * (0.5 + Math.random() / 2)
        sending = false
        timer = setTimeout(pump, delay)
        return
      }
      forget(item.key)
      onChange({ type: 'refused', item, error })
    }
    sending = false
    pump()
  }

  // The network came back: no need to wait out the backoff.
  function nudge() {
    if (!sending && items.length) {
      attempt = 0
      pump()
    }
  }
  window.addEventListener('online', nudge)
  // Another tab of this phone changed the outbox: show its list, and send what it holds.
  window.addEventListener('storage', (event) => {
    if (!persist || event.key !== storageKey) return
    items = store.get(storageKey, [])
    onChange({ type: 'shared' })
    nudge()
  })

  pump()
  return {
    send,
    nudge,
    state,
    /** Intents not yet acknowledged, oldest first. */
    pending: () => items.slice(),
  }
}
