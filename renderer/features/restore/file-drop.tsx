// The whole window accepts a dropped backup (file or dump folder): while a file is dragged over it an
// overlay says what will happen; on drop, the file's path (from the preload: sandboxed pages cannot
// read it) opens in the Restore screen. Dragging is pointer-only, so "Choose a file…" is always offered too.
import { useEffect, useState } from 'react';
import { Icon } from '../../components/icons.tsx';
import { useRestoreStore } from '../../stores/restore-store.ts';
import { api } from '../../stores/unwrap.ts';

function carriesFiles(event: DragEvent): boolean {
  return Array.from(event.dataTransfer?.types ?? []).includes('Files');
}

export function WindowFileDrop() {
  const [active, setActive] = useState(false);

  useEffect(() => {
    // dragenter/dragleave fire for every element crossed: count them, so the overlay stays until the pointer leaves the window.
    let depth = 0;
    const onEnter = (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      depth++;
      setActive(true);
    };
    const onOver = (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      // Without preventDefault the browser would refuse the drop (or navigate to the file).
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
    };
    const onLeave = (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setActive(false);
    };
    const onDrop = (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      depth = 0;
      setActive(false);
      const files = Array.from(event.dataTransfer?.files ?? []);
      const restore = useRestoreStore.getState();
      const [first] = files;
      if (!first) return;
      const path = api().pathForFile(first);
      if (!path) {
        restore.reject({
          code: 'INVALID_INPUT',
          message: `“${first.name}” has no location on this computer, so Lifeboat cannot read it.`,
          fix: 'Drop a file or folder from your file manager, or use “Choose a file…”.',
        });
        return;
      }
      restore.open(path, files.length > 1 ? `${files.length} items were dropped; Lifeboat opened the first, ${first.name}.` : null);
    };
    const onEnd = () => {
      depth = 0;
      setActive(false);
    };
    window.addEventListener('dragenter', onEnter);
    window.addEventListener('dragover', onOver);
    window.addEventListener('dragleave', onLeave);
    window.addEventListener('drop', onDrop);
    window.addEventListener('dragend', onEnd);
    return () => {
      window.removeEventListener('dragenter', onEnter);
      window.removeEventListener('dragover', onOver);
      window.removeEventListener('dragleave', onLeave);
      window.removeEventListener('drop', onDrop);
      window.removeEventListener('dragend', onEnd);
    };
  }, []);

  if (!active) return null;
  return (
    <div className="drop-overlay" data-testid="drop-overlay">
      <div className="drop-panel">
        <span className="drop-panel-icon" aria-hidden="true">
          <Icon name="upload" />
        </span>
        <p className="drop-title">Drop a backup to restore it</p>
        <p className="drop-text">Lifeboat recognises it by its content and checks it first: nothing is changed until you confirm.</p>
      </div>
    </div>
  );
}
