import { defineConfig } from "vite";

// The board is served by the Tandem server on the same origin as /api
// (make react-todo builds dist/; the browser test serves it). In
// development, vite proxies /api, the WebSocket included, to a server
// started with make run.
export default defineConfig({
  resolve: {
    // @tandemkit/tandem is linked from web/tandem, which has React of its
    // own for its tests: one React for the app.
    dedupe: ["react", "react-dom"],
  },
  oxc: { jsx: { runtime: "automatic" } },
  build: { target: "es2022", assetsInlineLimit: 0 },
  server: {
    proxy: { "/api": { target: "http://127.0.0.1:8080", ws: true } },
    fs: { allow: ["../.."] },
  },
});
