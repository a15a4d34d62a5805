// Where we are: the view in the path, the room code, and the facilitator key
// in the fragment (the fragment never reaches a server log).
import { installLiveRegions } from './a11y.js'
import { normaliseCode } from './api.js'

export function route() {
  installLiveRegions()
  const [, view, code] = location.pathname.split('/')
  return {
    root: document.getElementById('app'),
    view,
    room: normaliseCode(decodeURIComponent(code || '')),
    key: new URLSearchParams(location.hash.slice(1)).get('key') || '',
  }
}
