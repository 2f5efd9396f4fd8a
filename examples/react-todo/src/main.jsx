import { createRoot } from "react-dom/client";
import { load } from "@tandemkit/tandem";
import { App } from "./App.jsx";
import "./styles.css";

const root = createRoot(document.getElementById("root"));
root.render(<Splash text="Loading…" />);

load()
  .then((tandem) => {
    // The server of the page: its REST API under /api, its stream at /api/ws.
    const client = tandem.connect({ storage: "session" });
    root.render(<App client={client} />);
  })
  .catch((e) => root.render(<Splash text={`Could not start: ${e.message}`} />));

function Splash({ text }) {
  return (
    <div className="splash" role="status">
      {text}
    </div>
  );
}
