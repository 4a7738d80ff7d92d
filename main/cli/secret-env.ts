// Secrets handed to the CLI in environment variables (--passphrase-env, --ssh-password-env,
// --secret-key-env): taken out of the environment before anything is spawned.
import { LifeboatError } from '../engine/errors.ts';

/** Passphrases taken out of this process's environment (see claimPassphraseVariable). */
const claimedPassphrases = new Map<string, string | undefined>();

/**
 * Moves the --passphrase-env variable out of process.env, before anything is spawned: every tool
 * Lifeboat starts (pg_dump, pg_restore, psql, cp, gpg …) inherits this process's environment, and
 * /proc/PID/environ of a child is readable for as long as it runs. Only this process keeps it.
 */
export function claimPassphraseVariable(variable: string | undefined): void {
  if (!variable || claimedPassphrases.has(variable)) return;
  claimedPassphrases.set(variable, process.env[variable]);
  delete process.env[variable];
}

/** A secret from a claimed environment variable (see claimPassphraseVariable); `what` names it in the error. */
export function passphraseFromEnv(variable: string, what = 'the passphrase'): string {
  claimPassphraseVariable(variable);
  const value = claimedPassphrases.get(variable);
  if (!value) throw new LifeboatError('INVALID_INPUT', `The environment variable ${variable} is empty or not set.`, `Set it to ${what}, e.g. read -rs ${variable} && export ${variable}.`);
  return value;
}
