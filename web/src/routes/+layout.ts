// A static single-page app: nothing is rendered on a server or at build time; every page is built in the
// browser from the one app shell (build/index.html).
export const ssr = false;
export const prerender = false;
