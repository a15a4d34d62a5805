// Inlined into index.html: loads the one bundle this page needs, so a phone
// never downloads the console or the projector, in a single round trip.
const view = location.pathname.split('/')[1]
const bundle = { join: 'phone', remote: 'phone', projector: 'projector', facilitate: 'console', help: 'helper', accessibility: 'statement' }[view] || 'landing'
import(`/assets/${bundle}.js`).catch(() => {
  document.getElementById('app').innerHTML = '<main class="page"><h1>Touchpoint</h1><p>This page could not load. Please check the connection and reload.</p></main>'
})
