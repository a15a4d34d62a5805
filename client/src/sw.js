// The phone's offline shell. A phone on a venue's failing Wi-Fi that reloads
// (or that the browser reloads when it comes back to the tab) still opens,
// with its drafts and queued contributions (kept in local storage) and the
// board as it last saw it (see sync.js). Network first: whenever the server
// can be reached, the page and bundles come from it, so a new release is
// picked up at once; the copy kept here is only for when it cannot.
//
// Only the phone's pages and the client's bundles pass through here; the
// API, the room's socket, reports and exports never do.
const CACHE = 'touchpoint-shell'
// Every page of the client is the same index.html, kept under one name.
const PAGE = '/index.html'
const SHELL = ['/assets/phone.js', '/assets/app.css']
const PATIENCE_MS = 4000

self.addEventListener('install', (event) => {
  // The page that registered this worker loaded before it: fetch its shell now.
  event.waitUntil(caches.open(CACHE).then(async (cache) => {
    await cache.addAll(SHELL)
    const page = await fetch('/')
    if (page.ok) await cache.put(PAGE, page)
  }).then(() => self.skipWaiting()))
})

self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()))

self.addEventListener('fetch', (event) => {
  const request = event.request
  if (request.method !== 'GET') return
  const url = new URL(request.url)
  if (url.origin !== self.location.origin) return
  const page = request.mode === 'navigate' && /^\/(join|remote)\//.test(url.pathname)
  if (!page && !url.pathname.startsWith('/assets/')) return
  const key = page ? PAGE : url.pathname
  event.respondWith(networkFirst(request, key))
})

/** The server's answer, kept for later; the kept copy if the server cannot be reached, or
 * does not answer within a few seconds (Wi-Fi that is connected but goes nowhere). */
async function networkFirst(request, key) {
  const network = fetch(request).then((response) => {
    if (response.ok) {
      const copy = response.clone()
      caches.open(CACHE).then((cache) => cache.put(key, copy)).catch(() => {})
    }
    return response
  })
  // A late failure, after the kept copy was given, is nobody's business.
  network.catch(() => {})
  const slow = new Promise((resolve) => setTimeout(resolve, PATIENCE_MS)).then(() => caches.match(key))
  try {
    // Nothing kept yet: then the network, however slow, is all there is.
    return (await Promise.race([network, slow])) || (await network)
  } catch {
    return (await caches.match(key)) || Response.error()
  }
}
