// Plain data that crosses the engine boundary (to the CLI and, through IPC, to the renderer).
// Types only: the IPC contract imports these, so nothing here may carry behaviour or secrets.
// The declarations live in model/ (the engine's plain-data layer); still exported here for the files
// that import them from here.
export { PROFILE_COLORS, SSH_AUTH_METHODS, SSL_MODES } from './model/profile.ts';
export type { ConnectionReport, ConnectionTestResult, ImportCandidate, PasswordStorage, Profile, ProfileColor, ProfileFields, ProfileInput, ProfileSummary, SshAuthMethod, SshHop, SshSettings, SslMode, TunnelReport } from './model/profile.ts';
export type { DatabaseScope, RunDatabase, RunDatabaseOutcome, RunOutcome, ServerRunRecord, ServerRunResult } from './model/server-run.ts';
export type { PgTool, PgToolName, ToolSource, ToolsReport } from './model/tools.ts';
export type { KeychainStatus } from './model/secrets.ts';
export type { ErrorCode, ErrorInfo, HostKeyOffer } from './model/error.ts';
