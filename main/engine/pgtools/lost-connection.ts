// libpq's and the server's ways of saying the connection went away mid-work (server stopped,
// restarted, crashed, or a DBA ended the session): one plain sentence for all of them.
const LOST_CONNECTION = /server closed the connection unexpectedly|terminating connection due to (administrator command|unexpected postmaster exit|crash of another server process)|connection to server was lost|the database system is shutting down|no connection to the server|could not receive data from server|SSL SYSCALL error|Connection terminated unexpectedly/i;

export const LOST_CONNECTION_SENTENCE = 'the connection to the server was lost (the server stopped or restarted, or someone ended the session)';
export const LOST_CONNECTION_FIX = 'Make sure the server is running and nothing ends Lifeboat\'s sessions (pg_terminate_backend, idle timeouts, a pooler), then try again.';

export function isLostConnection(text: string): boolean {
  return LOST_CONNECTION.test(text);
}
