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
  | 'SSH_UNREACHABLE'
  | 'SSH_AUTH_FAILED'
  | 'SSH_HOST_KEY_UNKNOWN'
  | 'SSH_HOST_KEY_CHANGED'
  | 'SSH_FORWARDING_REFUSED'
  | 'SSH_TARGET_UNREACHABLE'
  | 'SSH_TUNNEL_DROPPED'
  | 'DESTINATION_NOT_FOUND'
  | 'DESTINATION_EXISTS'
  | 'S3_UNREACHABLE'
  | 'S3_AUTH_FAILED'
  | 'S3_PERMISSION_DENIED'
  | 'S3_BUCKET_MISSING'
  | 'S3_CLOCK_SKEW'
  | 'S3_CHECKSUM_REJECTED'
  | 'S3_FAILED'
  | 'SFTP_FOLDER_MISSING'
  | 'SFTP_PERMISSION_DENIED'
  | 'SFTP_FAILED'
  | 'COPY_NOT_VERIFIED'
  | 'INTERNAL';

/** An SSH host key the user is asked to trust (unknown) or was refused (changed). */
export interface HostKeyOffer {
  host: string;
  port: number;
  keyType: string;
  /** "SHA256:…", as ssh-keygen -l prints it. */
  fingerprint: string;
  /** changed: the keys known for this host before. */
  knownFingerprints?: string[];
}

export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  fix?: string;
  /** SSH_HOST_KEY_UNKNOWN / SSH_HOST_KEY_CHANGED: the key, so a dialog can show it and offer to trust it. */
  hostKey?: HostKeyOffer;
}
