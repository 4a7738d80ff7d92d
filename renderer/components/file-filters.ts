// What the "choose a backup" dialogs offer: every format Lifeboat restores, found by content later.
import type { FileFilter } from '../../main/ipc/contract.ts';

export const BACKUP_FILE_FILTERS: FileFilter[] = [
  { name: 'Backups and dumps', extensions: ['lifeboat', 'age', 'dump', 'backup', 'sql', 'gz', 'zst', 'tar', 'gpg', 'pgdump'] },
];

/** An age identity file: Lifeboat's exported recovery key, or one made by age-keygen. */
export const KEY_FILE_FILTERS: FileFilter[] = [
  { name: 'age key files', extensions: ['txt', 'key'] },
  { name: 'All files', extensions: ['*'] },
];
