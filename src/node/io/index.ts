// Model files on disk (file:// URLs) for Node without tfjs-node.
export { fileSystemHandler, registerFileSystemRouter } from './fileHandler.js';
