// The service worker of the guard console (/guard) and the volunteer app (/volunteer): keeps
// their app shell (the pages, their scripts and stylesheets) on the phone, so that a reload
// without network still shows the page, and the guard can go on queueing passages (guard.js
// keeps them in localStorage and syncs them when the network returns).
//
// - Only the files of SHELL are ever cached, fetched whole at install. Nothing else is touched:
//   the JSON API, event streams, /api/v1/me, QR codes, the dashboard, /healthz and /metrics go
//   to the network as if there were no service worker, so no answer of the API is ever stored.
// - The shell is served from the cache first (a patchy network does not slow the page down) and
//   from the network when the cache lacks it.
// - VERSION is a digest of every embedded web file, written in by the build
//   (services/gateway/embed_web.cmake), so this script changes exactly when the gateway ships
//   different pages. The browser checks /sw.js (served with Cache-Control: no-cache) on every
//   visit; a changed one installs beside the old, caches the new shell whole, takes over, and
//   deletes the old cache. The open page keeps the files it has; the next load gets the new ones.
'use strict';

const VERSION = '@LF_WEB_VERSION@';
const PREFIX = 'lf-shell-';
const CACHE = PREFIX + VERSION;
const SHELL = [
  '/guard', '/guard.js',
  '/volunteer', '/volunteer.js',
  '/apps.js', '/session.js', '/base.css', '/apps.css',
];

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // All or nothing (addAll fails when any file fails, and the old worker stays); 'reload'
    // bypasses the HTTP cache so that the new version's files are what is stored.
    await cache.addAll(SHELL.map((path) => new Request(path, {cache: 'reload'})));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== CACHE)
                           .map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || SHELL.indexOf(url.pathname) < 0) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const hit = await cache.match(url.pathname);
    return hit || fetch(request);
  })());
});

// For tests and curious operators: which shell version this worker serves.
self.addEventListener('message', (event) => {
  if (event.data === 'version' && event.source) event.source.postMessage({version: VERSION});
});
