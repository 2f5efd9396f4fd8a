package sync

// hardReadLimit is off in the browser: its WebSocket hands over whole
// messages, and coder/websocket would otherwise try to close with 1009, a
// code browsers refuse to send. The reconciler's own limit applies.
const hardReadLimit = -1
