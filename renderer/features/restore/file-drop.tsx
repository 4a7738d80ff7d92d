// The whole window accepts a dropped backup (file or dump folder): while a file is dragged over it an
// overlay says what will happen; on drop, the file's path (from the preload: sandboxed pages cannot
// read it) opens in the Restore screen. Dragging is pointer-only, so "Choose a file…" is always offered too.
import { useEffect, useState } from 'react';
import { Icon } from '../../components/icons.tsx';
import { useRestoreStore } from '../../stores/restore-store.ts';

function carriesFiles(event: DragEvent): boolean {
  return Array.from(event.dataTransfer?.types ?? []).includes('Files');
}

export function WindowFileDrop() {
  const openDropped = useRestoreStore((s) => s.openDropped);
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
      openDropped(Array.from(event.dataTransfer?.files ?? []));
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
  }, [openDropped]);

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
