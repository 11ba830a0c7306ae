// The background's state lives in storage.session (it survives the service worker being stopped):
// read-modify-write helpers serialised by one lock, since one worker instance runs at a time.
import "../shared/ext.js";

const { ext } = globalThis.Unmask;
let tail = Promise.resolve();

/** Run `fn` after every earlier locked call has finished; resolves with its value. */
export function locked(fn) {
  const run = tail.then(fn, fn);
  tail = run.catch(() => {});
  return run;
}

/** Values of session keys, with defaults for the ones not stored. */
export async function readSession(defaults) {
  const stored = await ext.storage.session.get(Object.keys(defaults));
  return Object.fromEntries(Object.entries(defaults).map(([key, value]) => [key, stored[key] ?? value]));
}

/** Store session values. */
export function writeSession(items) {
  return ext.storage.session.set(items);
}

/** Under the lock: read `defaults`' keys, let `change(values)` edit them in place, store them back. */
export function updateSession(defaults, change) {
  return locked(async () => {
    const values = await readSession(defaults);
    const answer = await change(values);
    await writeSession(values);
    return answer;
  });
}
