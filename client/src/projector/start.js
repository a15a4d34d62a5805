import { route } from '../route.js'
import { startProjector } from './projector.js'

const { root, room, key } = route()
if (room) startProjector(root, room, key)
else location.replace('/')
