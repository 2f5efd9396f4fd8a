// A DOM for the adapters' tests, installed before any framework loads
// (react-dom, Vue and Svelte look for one when they load).
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><html><body></body></html>", { url: "http://localhost/", pretendToBeVisual: true });
const w = dom.window;
for (const k of ["window", "document", "navigator", "Node", "Element", "HTMLElement", "SVGElement", "HTMLInputElement", "Text", "Comment", "DocumentFragment", "MutationObserver", "getComputedStyle", "requestAnimationFrame", "cancelAnimationFrame", "Event", "CustomEvent", "KeyboardEvent", "MouseEvent", "InputEvent"]) {
  if (!(k in globalThis) || k === "window" || k === "document") {
    Object.defineProperty(globalThis, k, { value: w[k], configurable: true, writable: true });
  }
}
globalThis.IS_REACT_ACT_ENVIRONMENT = true;

/** mountPoint returns a fresh element in the document. */
export function mountPoint() {
  const el = document.createElement("div");
  document.body.append(el);
  return el;
}
