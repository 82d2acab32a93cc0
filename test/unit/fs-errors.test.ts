/** File-system errors in the spool's and the locks' one-line messages. */
import { expect, it } from 'vitest';
import { accessHint, describeFsError } from '../../src/fs-errors.js';

const fsError = (code: string, message: string) => Object.assign(new Error(message), { code });

it('says the reason and its code without the syscall and path, and what to do about access', () => {
  const denied = fsError('EACCES', "EACCES: permission denied, mkdir '/var/lib/l1-fetch/spool'");
  expect(describeFsError(denied)).toBe('permission denied (EACCES)');
  expect(accessHint(denied)).toBe('; run as a user that can write there, or use another directory');
  const readOnly = fsError('EROFS', "EROFS: read-only file system, open '/mnt/ro/l1-fetch.lock'");
  expect(describeFsError(readOnly)).toBe('read-only file system (EROFS)');
  expect(accessHint(readOnly)).toBe('; use a directory on a writable file system');
  const full = fsError('ENOSPC', 'ENOSPC: no space left on device, write');
  expect(describeFsError(full)).toBe('no space left on device (ENOSPC)');
  expect(accessHint(full)).toBe('');
});
