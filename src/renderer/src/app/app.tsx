/** Placeholder shell: the task UI arrives with the desktop-app issue. */
export function App(): React.JSX.Element {
  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', padding: 32 }}>
      <h1>codex-sys</h1>
      <p>The engine runs tasks from the command line for now: see the README.</p>
    </main>
  )
}
