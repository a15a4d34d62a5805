import { route } from '../route.js'
import { startConsole } from './console.js'

const { root, room, key } = route()
if (room) startConsole(root, room, key)
else location.replace('/')
