import type { AppEvent } from '../../shared/events'
import type { TaskEngine } from './task-engine'

/**
 * Every event the UI listens to, as one stream: task events, task records, image build progress, and
 * Docker going away or coming back.
 */
export function subscribeAppEvents(engine: TaskEngine, send: (event: AppEvent) => void): () => void {
  const stops = [
    engine.subscribe((event) => send({ kind: 'task', event })),
    engine.subscribeRecords((task) => send({ kind: 'task-updated', task })),
    engine.image.onProgress((progress) => send({ kind: 'image', progress })),
    engine.dockerRestarts.onChange((change) => send({ kind: 'docker', ...change })),
  ]
  return () => stops.forEach((stop) => stop())
}
