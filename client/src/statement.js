// The accessibility statement: what works, how it was checked, what does
// not work yet, and how to get help or take part another way.
import { h, mount } from './dom.js'

export function startStatement(root) {
  document.title = 'Accessibility statement – Touchpoint'
  const section = (title, ...body) => h('section', null, h('h2', null, title), ...body)
  const list = (...items) => h('ul', { class: 'bullets' }, items.map((item) => h('li', null, item)))
  mount(root, () => h('main', { class: 'page statement', id: 'main' },
    h('h1', null, 'Accessibility statement for Touchpoint'),
    h('p', { class: 'lead' }, 'Touchpoint is used at co-design events in health and care. Everyone’s view counts, so everyone must be able to take part: from an old phone, with large text, with a screen reader, from home, or on paper.'),
    section('What you can do',
      list(
        'Join with the room code or the QR code. There is no account, no app and no name.',
        'Make the text up to twice as big (200%) and still use every part of the page, on a screen 360 pixels wide, in portrait.',
        'Use everything with a keyboard alone, or with a screen reader. Nothing needs dragging: every choice is a button or a list to pick from.',
        'Hear changes on the board read out politely when you join online (new cards, a new activity, results being shown).',
        'Take your time. When the facilitator’s timer ends, nothing you were writing is thrown away; if the room moves on, what you had started is kept.',
        'Keep going when the Wi-Fi drops. What you add is kept on your phone and sent when the connection is back; the page only says “saved” when the server has it.',
        'Understand the emotional map without colour: every feeling has a word and an icon, good and bad feelings are grouped and marked ▲ and ▼, and every count on the big screen is written as a number.',
      )),
    section('Taking part another way',
      h('p', null, 'If you do not have a smartphone, or would rather use paper, ask a facilitator or helper for a paper card, or vote with sticky dots on the poster. They type your card or your dots in for you, with the perspective you give them, and they count the same as everyone else’s.')),
    section('How we checked it',
      list(
        'We aim to meet the Web Content Accessibility Guidelines (WCAG) version 2.2 at level AA.',
        'Every view (the phone, the projector, the facilitator console, the remote attendee’s screen and this page) is checked in each of its states by the automated checker axe-core in a real browser, with no violations allowed, every time the software is tested.',
        'We test a whole event using the keyboard alone, and check that a screen reader is told about changes as status messages.',
        'Targets are at least 44 by 44 pixels on the phone. Nothing sticky covers the part of the page you are using.',
      )),
    section('What does not work fully yet',
      list(
        'Automated checks find only some problems. Touchpoint has not yet been audited by people with disabilities or by an independent expert; we want to do this.',
        'The icons of the feelings are emoji, which look different from one phone to another. The word is always shown with them.',
        'The QR code needs a camera. The room code and the web address are always shown next to it.',
        'The big screen’s emotional map is a large table. With a screen reader it is easier to follow the announcements on the remote attendee’s screen, or to ask the facilitator for the report after the event.',
        'The very first visit needs a connection. After that, the phone’s page opens again even with no connection, with the room as it last saw it, and what you add is sent when the connection comes back.',
      )),
    section('Tell us about a problem',
      h('p', null, 'If something does not work for you, please tell the facilitator at the event, or the organisers of your co-design programme. They can enter what you want to say for you, and pass the problem on so that it gets fixed.')),
    h('p', { class: 'hint' }, 'This statement was prepared in November 2026 and is reviewed with each release.'),
    h('p', null, h('a', { href: '/' }, 'Back to Touchpoint'))))
}

import { route } from './route.js'
if (document.getElementById('app')) startStatement(route().root)
