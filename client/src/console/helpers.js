// The table hosts' link in the console: the helper key's address and its QR
// code, for table hosts to open on a laptop or scan with a phone, and the
// action that replaces it (after a confirmation: the old link stops at once,
// and any page open with it is closed).
import { h, focusLater } from '../dom.js'
import { call, roomApi } from '../api.js'

/** Asks the server for the room's helper link (the facilitator key may read it at any time). */
export async function loadHelperLink(ctx) {
  try {
    ctx.helperLink = await call('GET', `${roomApi(ctx.code)}/helper-key`, { token: ctx.key })
  } catch (error) {
    if (error.retry) setTimeout(() => loadHelperLink(ctx), 3000)
  }
  ctx.schedule()
}

async function rotate(ctx) {
  ctx.helperConfirm = false
  try {
    ctx.helperLink = await call('POST', `${roomApi(ctx.code)}/helper-key`, { token: ctx.key })
    ctx.say('The table hosts’ link was replaced: the old one no longer works. Give them the new link or QR code.', 'saved')
  } catch (error) {
    ctx.say(`Could not replace the table hosts’ link: ${error.message}`, 'error')
  }
  focusLater('#helper-rotate')
}

export function helperPanel(ctx) {
  const link = ctx.helperLink
  return h('details', { class: 'helper-link', key: 'helper-link' },
    h('summary', null, 'Table hosts’ link (paper entry)'),
    h('p', { class: 'hint' }, 'Table hosts type in paper cards and sticky-dot ballots with this link. It cannot open, close or reveal activities, hide anything, see results before you reveal them, or download data.'),
    link ? [
      qrCode(link.qr_svg),
      h('div', { class: 'field' },
        h('label', { for: 'helper-url' }, 'The link to give table hosts'),
        h('input', { id: 'helper-url', type: 'text', readonly: true, value: link.helper_url, onclick: (e) => e.target.select() })),
      ctx.helperConfirm
        ? h('div', { class: 'erase-confirm', role: 'group', 'aria-labelledby': 'helper-confirm-h' },
          h('p', { id: 'helper-confirm-h' }, h('strong', null, 'Replace the link?'), ' The current link stops working at once, and any page open with it is closed. What was typed in with it stays.'),
          h('div', { class: 'row-actions' },
            h('button', { type: 'button', id: 'helper-rotate-yes', class: 'button small danger', onclick: () => rotate(ctx) }, 'Yes, replace it'),
            h('button', { type: 'button', class: 'button small secondary', onclick: () => { ctx.helperConfirm = false; focusLater('#helper-rotate') } }, 'Cancel')))
        : h('button', { type: 'button', id: 'helper-rotate', class: 'button small secondary', onclick: () => { ctx.helperConfirm = true; focusLater('#helper-rotate-yes') } }, 'Replace the link…'),
    ] : h('p', { class: 'hint' }, 'Preparing the link…'))
}

/** The server's QR code (SVG it drew itself), as an image with a name. */
function qrCode(svg) {
  const parsed = new DOMParser().parseFromString(svg, 'image/svg+xml').documentElement
  const image = document.importNode(parsed, true)
  image.setAttribute('role', 'img')
  image.setAttribute('aria-label', 'QR code of the table hosts’ link')
  image.setAttribute('class', 'helper-qr')
  return image
}
