import { route } from '../route.js'
import { startHelper } from './helper.js'

const { root, room, key } = route()
if (room) startHelper(root, room, key)
else location.replace('/')
