// HTTP calls to the server, local storage that survives private modes and
// old browsers, and ids that work on plain http (crypto.randomUUID needs a
// secure context, and a venue laptop often serves over http on the LAN).

const memory = new Map()

/** For secrets (the admin token, a facilitator key): kept only while this tab is open. */
export const tabStore = {
  get(name, fallback = null) {
    try {
      const raw = sessionStorage.getItem(name)
      return raw == null ? fallback : JSON.parse(raw)
    } catch {
      return fallback
    }
  },
  set(name, value) {
    try {
      if (value == null) sessionStorage.removeItem(name)
      else sessionStorage.setItem(name, JSON.stringify(value))
    } catch {
      // Not kept: asked for again next time.
    }
  },
}

export const store = {
  get(name, fallback = null) {
    try {
      const raw = localStorage.getItem(name)
      return raw == null ? fallback : JSON.parse(raw)
    } catch {
      return memory.has(name) ? memory.get(name) : fallback
    }
  },
  set(name, value) {
    memory.set(name, value)
    try {
      if (value == null) localStorage.removeItem(name)
      else localStorage.setItem(name, JSON.stringify(value))
    } catch {
      // Storage full or refused: the in-memory copy still serves this visit.
    }
  },
}

/** A random version-4 UUID. */
export function newKey() {
  if (window.crypto && crypto.randomUUID && window.isSecureContext) return crypto.randomUUID()
  const b = crypto.getRandomValues(new Uint8Array(16))
  b[6] = (b[6] & 0x0f) | 0x40
  b[8] = (b[8] & 0x3f) | 0x80
  const x = Array.from(b, (n) => n.toString(16).padStart(2, '0')).join('')
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`
}

/** Room codes are typed in any case, with or without dashes or spaces. */
export function normaliseCode(text) {
  return String(text || '').toUpperCase().replace(/[^A-Z0-9]/g, '')
}

/** Seconds the server's clock is ahead of ours, from the Date header of its answers. */
export let clockSkew = 0

/** An error the person can read, and whether trying again could help. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message)
    this.status = status
    this.code = code
    // Rate limits, an unavailable room and the network are worth retrying; rules are not.
    this.retry = status === 0 || status === 408 || status === 429 || status >= 500
  }
}

export async function call(method, url, { token, body, timeout = 15000 } = {}) {
  const headers = {}
  if (token) headers.Authorization = `Bearer ${token}`
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(), timeout)
  let response
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: abort.signal,
      cache: 'no-store',
    })
  } catch {
    throw new ApiError(0, 'network', 'No connection to the room at the moment.')
  } finally {
    clearTimeout(timer)
  }
  const date = Date.parse(response.headers.get('Date') || '')
  if (date) clockSkew = (date - Date.now()) / 1000
  let data = null
  try {
    data = await response.json()
  } catch {
    data = null
  }
  if (!response.ok) {
    const error = data && data.error
    throw new ApiError(response.status, error ? error.code : 'http_' + response.status, plainMessage(response.status, error))
  }
  return data
}

function plainMessage(status, error) {
  if (status === 429) return 'Lots of people are sending at once. Trying again in a moment.'
  if (status >= 500) return 'The room is busy. Trying again in a moment.'
  if (!error) return 'Something went wrong. Please try again.'
  const text = error.message || ''
  // The server's messages are plain English; give them a capital and a full stop.
  return text.charAt(0).toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? '' : '.')
}

/** Downloads a file the key opens, under `name`; throws an Error a person can read. */
export async function download(code, key, path, name) {
  const response = await fetch(`${roomApi(code)}/${path}`, { headers: { Authorization: `Bearer ${key}` }, cache: 'no-store' })
  if (!response.ok) throw new Error(`The server answered ${response.status}.`)
  const url = URL.createObjectURL(await response.blob())
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10000)
}

export const roomApi = (code) => `/api/rooms/${encodeURIComponent(code)}`
