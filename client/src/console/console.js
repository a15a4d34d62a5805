import { h, mount } from '../dom.js'
export function startConsole(root) {
  mount(root, () => h('main', { class: 'page' }, h('h1', null, 'Facilitator console')))
}
