/**
 * How many tokens each model's context holds (prompt and reply together). Matched like PRICES in model.ts:
 * the exact name, else the longest listed prefix ("gpt-4.1-mini-2025-04-14" → "gpt-4.1-mini"), after
 * dropping a provider path ("openai/gpt-4o", "library/qwen2.5-coder") and an Ollama tag suffix (":7b").
 */
export const CONTEXT_WINDOWS: Record<string, number> = {
  // OpenAI
  'gpt-5': 400_000,
  'gpt-5-mini': 400_000,
  'gpt-5-nano': 400_000,
  'gpt-5-codex': 400_000,
  'gpt-5.1': 400_000,
  'gpt-5.1-codex': 400_000,
  'gpt-5.1-codex-mini': 400_000,
  'gpt-5-chat-latest': 128_000,
  'codex-mini-latest': 200_000,
  'gpt-4.1': 1_047_576,
  'gpt-4.1-mini': 1_047_576,
  'gpt-4.1-nano': 1_047_576,
  'gpt-4o': 128_000,
  'gpt-4o-mini': 128_000,
  'chatgpt-4o-latest': 128_000,
  'gpt-4-turbo': 128_000,
  'gpt-4': 8_192,
  'gpt-3.5-turbo': 16_385,
  o1: 200_000,
  'o1-mini': 128_000,
  o3: 200_000,
  'o3-mini': 200_000,
  'o3-pro': 200_000,
  'o4-mini': 200_000,
  'gpt-oss': 131_072,
  // Common open models (their trained windows; a server may run them with less: set it in Settings)
  'llama3.1': 131_072,
  'llama3.2': 131_072,
  'llama3.3': 131_072,
  'llama-3.1': 131_072,
  'llama-3.2': 131_072,
  'llama-3.3': 131_072,
  'meta-llama-3.1': 131_072,
  llama3: 8_192,
  'qwen2.5-coder': 32_768,
  'qwen2.5': 32_768,
  qwen3: 40_960,
  'qwen3-coder': 262_144,
  'deepseek-coder': 16_384,
  'deepseek-coder-v2': 163_840,
  'deepseek-v3': 131_072,
  'deepseek-r1': 131_072,
  'deepseek-chat': 131_072,
  mistral: 32_768,
  'mistral-large': 131_072,
  'mistral-small': 32_768,
  codestral: 262_144,
  devstral: 131_072,
  mixtral: 32_768,
  gemma2: 8_192,
  gemma3: 131_072,
  phi4: 16_384,
  starcoder2: 16_384,
  codellama: 16_384,
}

/** The window assumed for a model not in the table: small enough for most servers to hold. */
export const DEFAULT_CONTEXT_WINDOW = 32_000

export interface ContextWindow {
  tokens: number
  /** Where the figure came from: an override (Settings or the task), the table, or the default. */
  source: 'override' | 'table' | 'default'
}

const normalize = (model: string): string => model.toLowerCase().replace(/^.*\//, '').replace(/:.*$/, '')

/** The context window of a model: the override when given, else the table, else DEFAULT_CONTEXT_WINDOW. */
export function contextWindowOf(model: string, override?: number): ContextWindow {
  if (override && override > 0) return { tokens: override, source: 'override' }
  const name = normalize(model)
  const exact = CONTEXT_WINDOWS[name]
  if (exact) return { tokens: exact, source: 'table' }
  const prefix = Object.keys(CONTEXT_WINDOWS)
    .filter((key) => name.startsWith(`${key}-`) || name.startsWith(`${key}:`))
    .sort((a, b) => b.length - a.length)[0]
  const tokens = prefix ? CONTEXT_WINDOWS[prefix] : undefined
  return tokens ? { tokens, source: 'table' } : { tokens: DEFAULT_CONTEXT_WINDOW, source: 'default' }
}

/** The timeline's note for a model whose window is not known. */
export const unknownWindowNote = (model: string): string =>
  `Unknown context window for model ${model}: assuming ${Math.round(DEFAULT_CONTEXT_WINDOW / 1000)}k tokens; ` +
  'set it in Settings (Limits → Context window) or in the task.'
