import { useState } from 'react'
import type { AppErrorData } from '../../../../shared/errors'
import type { Settings } from '../../../../shared/settings'
import { ErrorView } from '../../lib/error-view'
import { settingsStore } from '../../lib/settings'

const THEMES: { id: Settings['theme']; label: string }[] = [
  { id: 'system', label: 'System' },
  { id: 'light', label: 'Light' },
  { id: 'dark', label: 'Dark' },
]

/** Light, dark or the OS's choice; applies and saves at once. */
export function ThemePicker({ theme }: { theme: Settings['theme'] }): React.JSX.Element {
  const [error, setError] = useState<AppErrorData>()
  const choose = async (next: Settings['theme']): Promise<void> => {
    const result = await settingsStore().update({ theme: next })
    setError(result.ok ? undefined : result.error)
  }
  return (
    <div className="stack">
      <div className="segmented" role="radiogroup" aria-label="Theme">
        {THEMES.map((t) => (
          <label key={t.id} className="segment">
            <input
              type="radio"
              name="theme"
              value={t.id}
              checked={theme === t.id}
              onChange={() => void choose(t.id)}
            />
            <span>{t.label}</span>
          </label>
        ))}
      </div>
      {error && <ErrorView error={error} compact />}
    </div>
  )
}
