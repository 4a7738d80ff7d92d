// The Electron shell's ports for tests that drive main's IPC handlers in-process: dialogs answer what
// the test chose next, and every native question is recorded and answered as the test says.
import type { ShellPorts } from '../../main/ipc/handlers.ts';

export interface TestShell {
  shell: ShellPorts;
  /** What the next file/folder/save dialog returns (null: the user cancelled). */
  choose(path: string | null): void;
  /** The answer to the next native questions. */
  answer(yes: boolean): void;
  /** Each question asked, as "message detail [action]". */
  asked: string[];
}

export function testShell(): TestShell {
  let chosen: string | null = null;
  let yes = true;
  const asked: string[] = [];
  const shell: ShellPorts = {
    appVersion: '0',
    chooseFile: async () => chosen,
    chooseFolder: async () => chosen,
    chooseSaveFile: async () => chosen,
    confirm: async (question) => {
      asked.push(`${question.message} ${question.detail} [${question.action}]`);
      return yes;
    },
    revealInFolder: () => {},
    openPath: () => {},
    notify: () => {},
    runDueCommand: () => ({ executable: '/bin/true', args: [] }),
    emit: () => {},
  };
  return { shell, asked, choose: (path) => void (chosen = path), answer: (value) => void (yes = value) };
}
