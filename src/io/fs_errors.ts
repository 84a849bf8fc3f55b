// Short, user-facing reasons for file-system errors, so messages read
// "<path>: cannot open checkpoint (no such file or folder)" rather than a raw errno string.
import { displayName } from '../util/escape.js';

/** The reason a file operation failed, in words (the error's own message for rare codes). */
export function fsReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'ENOENT': return 'no such file or folder';
    case 'EACCES':
    case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'is a folder, expected a file';
    case 'ENOTDIR': return 'a parent of the path is not a folder';
    case 'ENOSPC': return 'no space left on the device';
    case 'ENAMETOOLONG': return 'file name too long';
    // the system's message quotes the path, which may come from a file: escaped and cut
    default: return displayName(err instanceof Error ? err.message : String(e), 200);
  }
}
