// The background's message router: a {type: {from, handle}} table and the check of every sender.
// Pure module (no browser API): main.js builds the table and passes this extension's id and origin.

/** Where a message may come from: this extension's content scripts, or this extension's own pages. */
export const FROM = Object.freeze({ CONTENT: "content", PAGE: "page" });

/** An error that rejects a message; its code travels back to the sender. */
export class RouteError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "RouteError";
    this.code = code;
  }
}

/** Whether a sender is one of this extension's content scripts running in a web page's tab. */
export function isOwnContentScript(sender, self) {
  return Boolean(
    sender &&
      sender.id === self.extensionId &&
      sender.tab &&
      Number.isInteger(sender.tab.id) &&
      sender.tab.id >= 0 &&
      Number.isInteger(sender.frameId) &&
      typeof sender.url === "string" &&
      !sender.url.startsWith(self.extensionOrigin),
  );
}

/** Whether a sender is one of this extension's own pages (popup, options, check-file). */
export function isOwnPage(sender, self) {
  return Boolean(sender && sender.id === self.extensionId && typeof sender.url === "string" && sender.url.startsWith(self.extensionOrigin));
}

/**
 * A router for `table` ({type: {from: FROM.*, handle(message, sender)}}): resolves with the handler's
 * value, or rejects with a RouteError when the type is unknown or the sender may not send it.
 * `self` is {extensionId, extensionOrigin} (origin with its trailing slash, runtime.getURL("")).
 */
export function createRouter(table, self) {
  if (!self?.extensionId || !self?.extensionOrigin?.endsWith("/")) throw new Error("router needs the extension id and origin");
  return async function route(message, sender) {
    const type = message && typeof message === "object" ? message.type : undefined;
    if (typeof type !== "string" || !Object.hasOwn(table, type)) {
      throw new RouteError("unknown_message", `unknown message type ${JSON.stringify(type)}`);
    }
    const entry = table[type];
    const allowed = entry.from === FROM.CONTENT ? isOwnContentScript(sender, self) : entry.from === FROM.PAGE && isOwnPage(sender, self);
    if (!allowed) throw new RouteError("forbidden_sender", `${type} is not accepted from this sender`);
    return entry.handle(message, sender);
  };
}
