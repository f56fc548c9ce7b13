export type BenchResult = {
  name: string
  baseline: string
  /** Our figure and the baseline's, in `unit` (seconds unless said). */
  ours: number
  base: number
  ratio: number
  target: number
  unit?: 's' | 'MB'
  note?: string
}
