import { h, mount } from './dom.js'
export function startStatement(root) {
  mount(root, () => h('main', { class: 'page' }, h('h1', null, 'Accessibility statement')))
}
