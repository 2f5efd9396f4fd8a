// The todo board: the go-app demo's features in React, on the same server
// and the same entities (examples/todo/model), through @tandemkit/tandem.
// Every change shows at once and is confirmed or rolled back by the server;
// other clients' changes arrive live. Elements carry the test ids of the
// demo's DOM contract (spec/DOM.md).

import { memo, useId, useRef, useState } from "react";
import { useStatus, useValue, useView } from "@tandemkit/tandem/react";

export function App({ client }) {
  const lists = client.collection("lists");
  const todos = client.collection("todos");
  const allLists = useView(lists, { orderBy: ["position", "name"] });
  const [selected, setSelected] = useState(null);
  const current = allLists.find((l) => l.id === selected) ?? allLists[0];

  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <span className="logo" aria-hidden="true">
            ✓
          </span>
          <span>Todos</span>
          <span className="by">Tandem + React</span>
        </div>
        <div className="topbar-right">
          <Saving client={client} />
          <Connection client={client} />
        </div>
      </header>
      <div className="layout">
        <nav className="sidebar" aria-label="Lists">
          <h2 className="sidebar-title">Lists</h2>
          <ul data-testid="lists" className="lists">
            {allLists.map((l) => (
              <li key={l.id}>
                <button
                  type="button"
                  className="list-button"
                  aria-current={current?.id === l.id ? "page" : undefined}
                  onClick={() => setSelected(l.id)}
                >
                  {l.name}
                </button>
              </li>
            ))}
          </ul>
          <NewList lists={lists} count={allLists.length} onCreated={setSelected} />
        </nav>
        <main className="panel">
          {current ? (
            <Board key={current.id} list={current} todos={todos} />
          ) : (
            <div className="empty-board">
              <h1>No lists yet</h1>
              <p>Create a list on the left to start adding todos.</p>
            </div>
          )}
        </main>
      </div>
    </div>
  );
}

// Board is one list: its create form and its todos in order.
function Board({ list, todos }) {
  const items = useView(todos, { where: { listId: list.id }, orderBy: ["position", "title"] });
  const open = items.filter((t) => !t.done).length;
  const next = items.reduce((m, t) => Math.max(m, t.position), 0) + 1;
  return (
    <section aria-labelledby="board-title">
      <div className="board-head">
        <h1 id="board-title">{list.name}</h1>
        <p className="counts">
          {items.length === 0 ? "Empty" : `${open} open · ${items.length - open} done`}
        </p>
      </div>
      <NewTodo todos={todos} listId={list.id} position={next} />
      <ul data-testid="todo-list" className="todos" aria-label={`Todos of ${list.name}`}>
        {items.map((t) => (
          <TodoRow key={t.id} todo={t} todos={todos} />
        ))}
      </ul>
      {items.length === 0 && <p className="hint">Nothing here yet. Add the first todo above.</p>}
    </section>
  );
}

// message is what to show of a failure: the field's message from the form
// or the server, or the error's own.
function message(err, field) {
  const m = err?.fields?.[field];
  if (m) return `${field[0].toUpperCase()}${field.slice(1)} ${m}.`;
  return err?.message ?? String(err);
}

function NewTodo({ todos, listId, position }) {
  const [title, setTitle] = useState("");
  const [error, setError] = useState("");
  const inputId = useId();
  async function submit(e) {
    e.preventDefault();
    const value = { listId, title, position };
    const invalid = todos.validate(value);
    if (invalid) {
      setError(message({ fields: invalid }, Object.keys(invalid)[0]));
      return;
    }
    setTitle("");
    setError("");
    try {
      await todos.create(value);
    } catch (err) {
      // The row is gone again (rolled back): give the title back to fix.
      setTitle((current) => (current === "" ? value.title : current));
      setError(message(err, "title"));
    }
  }
  return (
    <form className="new-todo" onSubmit={submit} noValidate>
      <label htmlFor={inputId} className="sr-only">
        New todo
      </label>
      <input
        id={inputId}
        data-testid="new-todo-title"
        className="new-todo-input"
        placeholder="What needs doing?"
        value={title}
        autoComplete="off"
        aria-invalid={error ? "true" : undefined}
        aria-describedby={error ? `${inputId}-error` : undefined}
        onChange={(e) => {
          setTitle(e.target.value);
          if (error) setError("");
        }}
      />
      <button data-testid="new-todo-submit" type="submit" className="primary">
        Add
      </button>
      <p id={`${inputId}-error`} data-testid="new-todo-error" className="field-error" role="alert">
        {error}
      </p>
    </form>
  );
}

// TodoRow re-renders only when its todo changes (the view keeps the other
// objects as they were) or while its rename input is being typed in.
const TodoRow = memo(function TodoRow({ todo, todos }) {
  const [draft, setDraft] = useState("");
  const [error, setError] = useState("");
  const rename = useRef(null);
  const title = draft !== "" ? draft : todo.title;

  async function run(change, field) {
    setError("");
    try {
      await change();
    } catch (err) {
      setError(message(err, field));
    }
  }
  function save() {
    const next = draft.trim();
    setDraft("");
    if (next === "" || next === todo.title) return;
    const invalid = todos.validate({ title: next }, "update", todo.id);
    if (invalid) {
      setError(message({ fields: invalid }, "title"));
      return;
    }
    run(() => todos.update(todo.id, { title: next }), "title");
  }
  return (
    <li
      data-testid="todo-row"
      data-id={todo.id}
      data-done={String(todo.done)}
      className={`todo${todo.done ? " done" : ""}${error ? " has-error" : ""}`}
    >
      <input
        type="checkbox"
        data-testid="todo-toggle"
        className="toggle"
        checked={todo.done}
        aria-label={`Done: ${todo.title}`}
        onChange={() => run(() => todos.update(todo.id, { done: !todo.done }), "done")}
      />
      <span data-testid="todo-title" className={`title${draft ? " preview" : ""}`}>
        {title}
      </span>
      <input
        ref={rename}
        data-testid="todo-rename"
        className="rename"
        value={draft}
        placeholder="Rename…"
        aria-label={`Rename “${todo.title}”`}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter") {
            e.preventDefault();
            save();
          } else if (e.key === "Escape") {
            setDraft("");
            rename.current?.blur();
          }
        }}
      />
      <button
        type="button"
        data-testid="todo-delete"
        className="delete"
        aria-label={`Delete “${todo.title}”`}
        title="Delete"
        onClick={() => run(() => todos.delete(todo.id), "title")}
      >
        <svg viewBox="0 0 20 20" width="16" height="16" aria-hidden="true">
          <path d="M5 5l10 10M15 5L5 15" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
        </svg>
      </button>
      {error && (
        <p className="row-error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
});

function NewList({ lists, count, onCreated }) {
  const [name, setName] = useState("");
  const [error, setError] = useState("");
  const inputId = useId();
  async function submit(e) {
    e.preventDefault();
    const value = { name, position: count + 1 };
    const invalid = lists.validate(value);
    if (invalid) {
      setError(message({ fields: invalid }, "name"));
      return;
    }
    setName("");
    setError("");
    try {
      const created = await lists.create(value);
      onCreated(created.id);
    } catch (err) {
      setError(message(err, "name"));
    }
  }
  return (
    <form className="new-list" onSubmit={submit} noValidate>
      <label htmlFor={inputId} className="sr-only">
        New list
      </label>
      <input
        id={inputId}
        placeholder="New list…"
        value={name}
        autoComplete="off"
        onChange={(e) => {
          setName(e.target.value);
          if (error) setError("");
        }}
      />
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

// Connection shows the realtime connection as DOM.md names its states.
function Connection({ client }) {
  const status = useStatus(client);
  const state = status === "live" ? "live" : status === "offline" || status === "unauthorized" ? "offline" : "reconnecting";
  const label = { live: "Live", reconnecting: "Connecting…", offline: "Offline" }[state];
  return (
    <span data-testid="connection" data-state={state} className={`badge ${state}`} role="status">
      <span className="dot" aria-hidden="true" />
      {label}
    </span>
  );
}

function Saving({ client }) {
  const pending = useValue(client.pending);
  return (
    <span className="saving" aria-live="polite">
      {pending > 0 ? `Saving ${pending} change${pending === 1 ? "" : "s"}…` : "All changes saved"}
    </span>
  );
}
