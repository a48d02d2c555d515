// Waiting helpers shared by the in-host test modules.
'use strict';
/* global module, setTimeout */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Calls `fn` until it returns something truthy (returned), or fails after `timeout` ms naming `what`. */
async function poll(fn, what, timeout = 30000) {
  const t0 = Date.now();
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() - t0 > timeout) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

module.exports = { sleep, poll };
