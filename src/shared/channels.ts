/**
 * The names that cross the bridge, free of dependencies: the sandboxed preload imports this module
 * alone (a sandboxed preload cannot load npm packages). `contract.ts` gives each call its schema.
 */
export const CALL_NAMES = [
  'tasks.submit',
  'tasks.list',
  'tasks.get',
  'tasks.cancel',
  'tasks.followUp',
  'tasks.resume',
  'tasks.events',
  'tasks.diff',
  'tasks.artifact',
  'tasks.setExcluded',
  'tasks.comment',
  'tasks.discard',
  'tasks.undoDiscard',
  'tasks.requestChanges',
  'tasks.saveFile',
  'tasks.publish',
  'tasks.allowHost',
  'settings.get',
  'settings.update',
  'secrets.status',
  'secrets.set',
  'secrets.delete',
  'secrets.allowEndpoint',
  'system.status',
  'system.buildImage',
  'system.engines',
  'system.setupCache',
  'system.clearSetupCache',
  'github.status',
  'github.repos',
  'dialog.pickFolder',
  'dialog.pickZip',
  'dialog.saveExport',
  'shell.openExternal',
] as const

export type CallName = (typeof CALL_NAMES)[number]

/** Events pushed from the engine to the UI: one channel, a discriminated union (see events.ts). */
export const EVENT_CHANNEL = 'app:event'
