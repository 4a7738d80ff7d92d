// zod schemas for every Invoke payload: the renderer is untrusted, so main parses before the engine sees anything.
import path from 'node:path';
import { z } from 'zod';
import { PROFILE_COLORS, SSL_MODES } from '../engine/types.ts';
import type { InvokeChannel } from './contract.ts';

const MAX_TEXT = 1000;
const id = z.string().min(1).max(100).regex(/^[A-Za-z0-9-]+$/, 'an id has only letters, digits and dashes');
const text = (max = MAX_TEXT) => z.string().max(max).refine((s) => !s.includes('\0'), 'must not contain NUL');

/** An absolute, already-normalised path: relative paths and ".." segments are refused. */
export const absolutePath = text(4096).refine(
  (p) => path.isAbsolute(p) && path.normalize(p) === p && !p.split(/[\\/]/).includes('..'),
  'must be an absolute path without ".." segments',
);

const optionalPath = z.union([absolutePath, z.literal('')]).optional();

export const profileInput = z
  .object({
    name: text(200),
    host: text(255),
    port: z.number().int().min(1).max(65535),
    database: text(63),
    user: text(63),
    sslmode: z.enum(SSL_MODES),
    sslRootCert: optionalPath,
    sslCert: optionalPath,
    sslKey: optionalPath,
    color: z.enum(PROFILE_COLORS),
    backupFolder: optionalPath,
    password: z.union([text(MAX_TEXT), z.null()]).optional(),
  })
  .strict();

export const importSource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('uri'), uri: text(2000).min(1) }).strict(),
  z.object({ kind: z.literal('pgpass'), file: absolutePath.optional() }).strict(),
  z.object({ kind: z.literal('env') }).strict(),
]);

const fileFilter = z.object({ name: text(100), extensions: z.array(z.string().max(20).regex(/^[\w*]+$/)).max(20) }).strict();

/** Argument tuples per channel. */
export const invokeSchemas = {
  'app:info': z.tuple([]),
  'profiles:list': z.tuple([]),
  'profiles:add': z.tuple([profileInput]),
  'profiles:update': z.tuple([id, profileInput]),
  'profiles:duplicate': z.tuple([id]),
  'profiles:remove': z.tuple([id]),
  'profiles:test': z.tuple([id]),
  'profiles:import-preview': z.tuple([importSource]),
  'profiles:import-save': z.tuple([importSource, z.union([text(80).min(1), z.null()])]),
  'tools:report': z.tuple([]),
  'settings:get': z.tuple([]),
  'settings:update': z.tuple([z.object({ pgToolsDir: z.union([absolutePath, z.null()]).optional() }).strict()]),
  'dialog:choose-file': z.tuple([text(200), z.array(fileFilter).max(10)]),
} satisfies Record<InvokeChannel, z.ZodType>;
