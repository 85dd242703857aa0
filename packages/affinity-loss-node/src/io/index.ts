// Files on disk: model files (file:// URLs) for Node without tfjs-node, and whole-or-nothing writes.
export { fileSystemHandler, registerFileSystemRouter } from './fileHandler.js';
export { writeFileAtomic } from './atomicWrite.js';
export { asFileSystemError, checkWritableFolder, createFolder, replaceEntries } from './folders.js';
export { lockFolder, LOCK_FILE, type LockOwner } from './folderLock.js';
