import { route } from '../route.js'
import { startPhone } from './phone.js'

const { root, view, room } = route()
if (room) startPhone(root, room, { remote: view === 'remote' })
else location.replace('/')
