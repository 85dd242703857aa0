// Filled by the data module; re-exported from the root entry.
export {};
