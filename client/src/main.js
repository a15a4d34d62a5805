// One page for every view: the path says which one to show.
import { installLiveRegions } from './a11y.js'
import { normaliseCode } from './api.js'
import { startLanding } from './landing.js'
import { startPhone } from './phone/phone.js'
import { startProjector } from './projector/projector.js'
import { startConsole } from './console/console.js'
import { startStatement } from './statement.js'

const root = document.getElementById('app')
installLiveRegions()

const [, view, code] = location.pathname.split('/')
const room = normaliseCode(decodeURIComponent(code || ''))
const key = new URLSearchParams(location.hash.slice(1)).get('key') || ''

if (view === 'join' && room) startPhone(root, room, { remote: false })
else if (view === 'remote' && room) startPhone(root, room, { remote: true })
else if (view === 'projector' && room) startProjector(root, room, key)
else if (view === 'facilitate' && room) startConsole(root, room, key)
else if (view === 'accessibility') startStatement(root)
else startLanding(root)
