// The outbox: every change a person asks for is an intent with a key made
// here. Unacknowledged intents are kept in local storage, in order, and sent
// one at a time until the server answers; a retry with the same key returns
// the first answer, so nothing is lost on a train with no signal and nothing
// is counted twice. "Saved" is only ever said after the server's 200.
import { call, newKey, roomApi, store } from './api.js'

/**
 * An outbox for one room and one credential. `onChange(event)` is called with
 * {type: 'saved'|'refused'|'waiting'|'sending', item, result?, error?}.
 */
export function createOutbox(code, token, onChange, { persist = true } = {}) {
  const storageKey = `tp:outbox:${code}`
  let items = persist ? store.get(storageKey, []) : []
  let sending = false
  let attempt = 0
  let timer = null
  const state = { waiting: false, lastError: null }

  function save() {
    if (persist) store.set(storageKey, items.length ? items : null)
  }

  /**
   * Queues an intent; `label` says in plain words what it is ("your card at Booking").
   * Returns the item; its outcome arrives through onChange.
   */
  function send(body, label, extra = {}) {
    // Moving a dot again before the first move left the phone: send only the latest.
    if (body.kind === 'set_dots' || body.kind === 'set_score') {
      const earlier = items.find((item) => !item.tried && item.body.kind === body.kind &&
        item.body.activity === body.activity && item.body.option === body.option)
      if (earlier) {
        Object.assign(earlier.body, body, { key: earlier.key })
        save()
        onChange({ type: 'sending', item: earlier })
        return earlier
      }
    }
    const key = newKey()
    const item = { key, body: { ...body, key }, label, tried: false, ...extra }
    items.push(item)
    save()
    onChange({ type: 'sending', item })
    pump()
    return item
  }

  async function pump() {
    if (sending || !items.length) return
    sending = true
    clearTimeout(timer)
    const item = items[0]
    item.tried = true
    save()
    try {
      const result = await call('POST', `${roomApi(code)}/intents`, { token, body: item.body })
      items.shift()
      save()
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
      items.shift()
      save()
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

  pump()
  return {
    send,
    nudge,
    state,
    /** Intents not yet acknowledged, oldest first. */
    pending: () => items.slice(),
  }
}
