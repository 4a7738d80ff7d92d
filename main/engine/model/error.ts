// Errors as data: what crosses the engine's boundary instead of a stack (a code, a message, a fix).
// Plain data, no behaviour: the model layer imports nothing but other model types.

export type ErrorCode =
  | 'INVALID_INPUT'
  | 'PROFILE_NOT_FOUND'
  | 'PROFILE_EXISTS'
  | 'AUTH_FAILED'
  | 'PASSWORD_MISSING'
  | 'HOST_UNREACHABLE'
  | 'HOST_NOT_FOUND'
  | 'CONNECT_TIMEOUT'
  | 'SSL_REQUIRED'
  | 'SSL_UNSUPPORTED'
  | 'SSL_CERTIFICATE'
  | 'ACCESS_DENIED'
  | 'DATABASE_NOT_FOUND'
  | 'TOOL_NOT_FOUND'
  | 'TOOL_TOO_OLD'
  | 'KEYCHAIN'
  | 'IMPORT_FAILED'
  | 'CONNECTION_FAILED'
  | 'WRONG_KEY'
  | 'NO_KEY'
  | 'ARCHIVE_DAMAGED'
  | 'ARCHIVE_UNSUPPORTED'
  | 'NOT_AN_ARCHIVE'
  | 'FILE_NOT_FOUND'
  | 'BACKUP_FAILED'
  | 'RESTORE_FAILED'
  | 'PREFLIGHT_BLOCKED'
  | 'VERIFY_FAILED'
  | 'DISK_FULL'
  | 'CANCELLED'
  | 'INTERNAL';

export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  fix?: string;
}
