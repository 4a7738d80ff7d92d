// What inspecting a file found (restore-inspect.ts fills it; restore-checklist.ts judges it): its own
// module, so the inspection and the checklist do not import each other. The declarations live in
// model/restore.ts (the engine's plain-data layer).
export type { InspectedTable, Inspection } from '../model/restore.ts';
